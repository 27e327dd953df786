// Parse Continue config files with Continue's own parser (@continuedev/config-yaml): the zod
// schema the extension applies to config.yaml, then its validation of the parsed config.
// Prints {path: {ok, problems | issues}} as JSON. Run by tests/test_continue_config.py.
import { readFileSync } from "node:fs";
import { configYamlSchema, validateConfigYaml } from "@continuedev/config-yaml";
import YAML from "yaml";

const results = {};
for (const path of process.argv.slice(2)) {
  const parsed = configYamlSchema.safeParse(YAML.parse(readFileSync(path, "utf8")));
  results[path] = parsed.success
    ? { ok: true, problems: validateConfigYaml(parsed.data) }
    : { ok: false, issues: parsed.error.issues };
}
console.log(JSON.stringify(results));
