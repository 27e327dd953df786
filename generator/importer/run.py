"""Run an import: read the file, map every template, validate the result, write what passed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from generator.catalog import validate_catalog
from generator.catalog.model import Catalog
from generator.diagnostics import display_path
from generator.editor import CatalogEditor
from generator.errors import CatalogInvalid, GenError
from generator.importer.portainer import UNREVIEWED, ImportState, Refused, map_template
from generator.importer.report import ImportReport, Outcome
from generator.render.yaml_text import to_yaml

HEADER = "# yaml-language-server: $schema=../../schemas/service.schema.json\n"


MAX_FILE_BYTES = 32 * 1024 * 1024  # the largest public templates.json files are under 1 MB
# What each key of a template is in Portainer's format (its Go struct); another JSON type makes
# Portainer reject the whole file, and the template is refused here.
TYPES: dict[str, tuple[type, ...]] = {
    "type": (int,),
    "title": (str,),
    "description": (str,),
    "note": (str,),
    "categories": (list,),
    "platform": (str,),
    "logo": (str,),
    "image": (str,),
    "name": (str,),
    "command": (str,),
    "ports": (list,),
    "volumes": (list,),
    "env": (list,),
    "labels": (list,),
    "repository": (dict,),
    "restart_policy": (str,),
    "hostname": (str,),
    "network": (str,),
    "privileged": (bool,),
    "interactive": (bool,),
    "administrator_only": (bool,),
}
TYPE_NAMES = {int: "an integer", str: "a string", list: "a list", dict: "an object", bool: "true or false"}


def read_templates(path: Path) -> tuple[str, list[Any]]:
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError as error:
        raise GenError(f"{path}: no such file") from error
    except OSError as error:
        raise GenError(f"{path}: cannot be read: {error.strerror}") from error
    if len(raw) > MAX_FILE_BYTES:
        raise GenError(f"{path}: larger than {MAX_FILE_BYTES} bytes; not an App Templates file")
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GenError(f"{path}: not a JSON file: {error}") from error
    except RecursionError as error:
        raise GenError(f"{path}: nested too deeply to be an App Templates file") from error
    except ValueError as error:  # an integer past Python's limit of digits (Portainer reads 64 bits)
        raise GenError(f"{path}: holds a number too long for an App Templates file ({error})") from error
    if isinstance(document, list):
        raise GenError(
            f"{path} is a Portainer 1.x file (a top-level list of templates): Portainer 2.x rejects it "
            'and so does this import; convert it to {"version": "2", "templates": [...]}'
        )
    if not isinstance(document, dict) or document.get("version") not in ("2", "3"):
        version = document.get("version") if isinstance(document, dict) else None
        raise GenError(f'{path}: version {version!r} is not a Portainer App Templates version ("2" or "3")')
    templates = document.get("templates")
    if not isinstance(templates, list):
        raise GenError(f"{path}: 'templates' is not a list")
    return str(document["version"]), templates


def _wrong_type(template: Any) -> str | None:
    if not isinstance(template, dict):
        return f"the template is {type(template).__name__}, not an object"
    for key, expected in TYPES.items():
        value = template.get(key)
        if value is not None and (
            not isinstance(value, expected) or (bool not in expected and isinstance(value, bool))
        ):
            found = TYPE_NAMES.get(type(value), type(value).__name__)
            return f"'{key}' is {found}; Portainer's format has {TYPE_NAMES[expected[0]]} there"
    return None


def _state(catalog: Catalog) -> ImportState:
    template_ids = {i for s in catalog.stacks.values() for i in s.template_ids.values()}
    template_ids |= {s.template_id for s in catalog.services.values() if s.template_id}
    host_ports: dict[tuple[str, int], str] = {
        (p.protocol, p.host): s.id for s in catalog.services.values() for p in s.ports if p.host is not None
    }
    standalone = {s.id: s.template_id for s in catalog.services.values() if s.template_id}
    return ImportState(set(catalog.services), template_ids, standalone, host_ports)


def import_portainer(
    path: Path, catalog_dir: Path, *, force: bool = False, allow_dangerous: bool = False
) -> ImportReport:
    version, templates = read_templates(path)
    catalog, problems = validate_catalog(catalog_dir)
    if problems:
        raise CatalogInvalid(problems)
    state = _state(catalog)
    state.allow_dangerous = allow_dangerous
    outcomes, documents = [], {}
    for index, template in enumerate(templates):
        title = str(template.get("title")) if isinstance(template, dict) else "?"
        template_id = template.get("id") if isinstance(template, dict) else None
        outcome = Outcome(index, template_id if isinstance(template_id, int) else None, title)
        try:
            wrong = _wrong_type(template)
            if wrong:
                raise Refused(wrong)
            document = map_template(template, outcome, state, force)
            outcome.entity = f"services/{document['id']}.yaml"
            documents[outcome.entity] = document
        except Refused as reason:
            outcome.refuse(str(reason))
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as error:
            # a value inside a list or object of the wrong kind: this template only is refused
            outcome.refuse(f"a value of a kind Portainer's format does not have ({error})")
        outcomes.append(outcome)
    header = f"{HEADER}# Imported from {path.name} by `gen import portainer`.\n"
    editor = CatalogEditor(catalog_dir)
    for entity, document in documents.items():
        editor.put(entity, to_yaml(document, header).decode("utf-8"))
    _refuse_what_would_not_validate(editor, list(documents), outcomes)
    editor.write()  # every entry, or none
    return ImportReport(display_path(path), version, outcomes)


def _refuse_what_would_not_validate(
    editor: CatalogEditor, entities: list[str], outcomes: list[Outcome]
) -> None:
    """Validate the catalog as it would be with the imported entries (read from memory: nothing is
    written, nothing copied); entries with errors are refused with the first one, until the rest
    validate (an import never breaks the catalog)."""
    catalog_dir = editor.catalog_dir
    by_entity = {o.entity: o for o in outcomes if o.entity is not None}
    documents = list(entities)
    while documents:
        problems = editor.problems()
        # the reasons --allow-dangerous leaves for review fail on purpose, and only them
        problems = [p for p in problems if not p.message.lstrip("'\"").startswith(UNREVIEWED)]
        failing: dict[str, str] = {}
        # an entry that replaces one of the catalog's (--force) may break those that use it
        replacing = [e for e in documents if (catalog_dir / e).exists()] or list(documents)
        shown = {display_path(catalog_dir / entity): entity for entity in documents}
        for problem in problems:
            culprit = shown.get(problem.file)
            if culprit is not None:
                failing.setdefault(culprit, f"would not validate: {problem.path}: {problem.message}")
                continue
            broken = _in_catalog(catalog_dir, problem.file)
            for entity in replacing:
                failing.setdefault(entity, f"would break {broken}: {problem.path}: {problem.message}")
        if not failing:
            return
        for entity, reason in failing.items():
            by_entity[entity].refuse(reason)
            by_entity[entity].entity = None
            documents.remove(entity)
            editor.drop(entity)


def _in_catalog(catalog_dir: Path, shown: str) -> str:
    """A file of a message by its path in the catalog (services/web.yaml), as the user knows it."""
    file = Path(shown).resolve()
    root = catalog_dir.resolve()
    return file.relative_to(root).as_posix() if file.is_relative_to(root) else shown
