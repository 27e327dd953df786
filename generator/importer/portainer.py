"""Map Portainer App Templates (version 2 or 3) onto catalog services.

Container templates (type 1) become standalone services; stack templates (types 2 and 3) point
at compose files in other repositories and are refused, as are Windows and legacy edge templates.
Each change made to fit the catalog is recorded as a normalisation (see report.py).
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from generator.catalog.single_line import is_control
from generator.importer.report import Outcome

ID_MAX = 40
TITLE = re.compile(r"^[^\n\r]{1,80}$")
CATEGORY_CHARS = re.compile(r"[^A-Za-z0-9 &/-]")
URL = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~%!$&'()*+,;=:@/?#-]*)?$")
IMAGE = re.compile(
    r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-]{1,2}[a-z0-9]+)*)*"
    r"(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})?$"
)
PATH = re.compile(r"^(/[A-Za-z0-9._@+-]+)+/?$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
ENV_VALUE = re.compile(r"^[^\n\r$`\"'\\}]*$")
PORT = re.compile(r"^(?:(\d*):)?(\d+)(?:/(tcp|udp))?$")
RESTART = ("no", "always", "unless-stopped", "on-failure")
DROPPED = ("network", "hostname", "labels", "registry", "administrator_only", "stackFile", "stackfile")
KNOWN = {
    "id",
    "type",
    "title",
    "description",
    "categories",
    "platform",
    "logo",
    "image",
    "ports",
    "volumes",
    "env",
    "note",
    "restart_policy",
    "privileged",
    "interactive",
    "command",
    "name",
}
UNPINNED = "Imported from a Portainer template that uses a rolling tag; pin a version before relying on it."
NO_HEALTHCHECK = "Imported from a Portainer template, which has no healthcheck; add one."


class Refused(Exception):
    """The template cannot be mapped; the message says why."""


@dataclass
class ImportState:
    """What earlier mappings used up: ids, file names, host ports."""

    service_ids: set[str]
    template_ids: set[int]
    service_template_ids: dict[str, int]  # existing standalone services: their template id
    host_ports: dict[tuple[str, int], str]
    next_template_id: int = 1
    written: list[str] = field(default_factory=list)
    allow_dangerous: bool = False  # keep privileged mode and host-control mounts (flagged either way)

    def free_template_id(self) -> int:
        while self.next_template_id in self.template_ids:
            self.next_template_id += 1
        return self.next_template_id


def slug(title: str) -> str:
    text = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    text = re.sub(r"-+", "-", text)[:ID_MAX].strip("-")
    if not text or not text[0].isalpha():
        text = f"app-{text}".strip("-")[:ID_MAX].strip("-")
    return text


def map_template(template: Any, outcome: Outcome, state: ImportState, force: bool) -> dict[str, Any]:
    """A catalog service document for one template; raises Refused."""
    if not isinstance(template, dict):
        raise Refused("not a JSON object")
    kind = template.get("type")
    if kind in (2, 3):
        repo = template.get("repository") or {}
        raise Refused(
            f"a stack template deploys a compose file from another repository ({repo.get('url')} "
            f"{repo.get('stackfile')}); the catalog builds stacks from its own services"
        )
    if kind != 1:
        raise Refused(f"type {kind!r} is not a deployable template (1 container, 2/3 stacks)")
    if template.get("platform") == "windows":
        raise Refused("a Windows container template; the catalog targets Linux hosts")
    service: dict[str, Any] = {}
    service["id"] = _service_id(template, outcome, state, force)
    service["title"] = _title(template, outcome)
    service["description"] = _description(template, service["title"], outcome)
    service["categories"] = _categories(template, outcome)
    _logo(template, service, outcome)
    _image(template, service, outcome)
    _command(template, service, outcome)
    _restart(template, service, outcome)
    if template.get("interactive"):
        service["interactive"] = True
    _ports(template, service, outcome, state)
    _volumes(template, service, outcome, state.allow_dangerous)
    _env(template, service, outcome)
    service["resources"] = {"limits": {"cpus": 1, "memory": "1g"}}
    service["healthcheck"] = {"none": NO_HEALTHCHECK}
    _security(template, service, outcome, state.allow_dangerous)
    if template.get("network") == "host":
        outcome.danger(
            "network: host (the host's network stack): not carried, the service gets a network of its own"
        )
    service["portainer"] = _portainer(template, service["id"], outcome, state)
    _dropped_keys(template, outcome)
    return service


def _service_id(template: dict[str, Any], outcome: Outcome, state: ImportState, force: bool) -> str:
    base = slug(str(template.get("name") or template.get("title") or "app"))
    candidate, number = base, 2
    while candidate in state.written:  # two templates of this file with the same name
        candidate = f"{base[: ID_MAX - 1 - len(str(number))]}-{number}"
        number += 1
    if candidate in state.service_ids:
        if not force:
            raise Refused(f"services/{candidate}.yaml exists; --force replaces it")
        outcome.note("id", f"replaces the existing services/{candidate}.yaml (--force)")
        state.template_ids.discard(state.service_template_ids.get(candidate, 0))
    state.written.append(candidate)
    return candidate


def _title(template: dict[str, Any], outcome: Outcome) -> str:
    title = template.get("title")
    if not isinstance(title, str) or not title.strip():
        raise Refused("no title")
    clean = " ".join(title.split())[:80]
    if clean != title:
        outcome.note("title", f"shortened to one line of at most 80 characters: {clean!r}")
    return clean


def _prose(text: str, key: str, outcome: Outcome) -> str:
    """Text of a prose field as the catalog takes it: LF line endings, no control characters."""
    cleaned = text.replace("\r\n", "\n").replace("\r", "\n")
    cleaned = "".join(c for c in cleaned if c in "\n\t" or not is_control(c))
    if cleaned != text:
        outcome.note(key, "line endings made LF, control characters removed")
    return cleaned


def _description(template: dict[str, Any], title: str, outcome: Outcome) -> str:
    description = template.get("description")
    if isinstance(description, str):
        description = _prose(description, "description", outcome)
    if not isinstance(description, str) or not description.strip():
        outcome.note("description", f"{description!r} replaced by the title")
        return title
    if len(description) > 2000:
        outcome.note("description", "shortened to 2000 characters")
        return description[:2000]
    return description


def _categories(template: dict[str, Any], outcome: Outcome) -> list[str]:
    found: list[str] = []
    for category in template.get("categories") or []:
        clean = CATEGORY_CHARS.sub("", str(category)).strip().lstrip("0123456789 &/-")[:31].strip()
        if clean and clean not in found:
            found.append(clean)
        if clean != category:
            outcome.note("categories", f"{category!r} became {clean!r}" if clean else f"{category!r} dropped")
    if not found:
        outcome.note("categories", "none given: 'Other'")
        found = ["Other"]
    return found


def _logo(template: dict[str, Any], service: dict[str, Any], outcome: Outcome) -> None:
    logo = template.get("logo")
    if isinstance(logo, str) and URL.match(logo):
        service["logo"] = logo
    elif logo:
        outcome.note("logo", f"{logo!r} is not an http(s) URL: dropped")


def _image(template: dict[str, Any], service: dict[str, Any], outcome: Outcome) -> None:
    image = template.get("image")
    if not isinstance(image, str) or not IMAGE.match(image):
        raise Refused(f"image {image!r} is not a valid image reference")
    last = image.rsplit("/", 1)[-1]
    if ":" not in last and "@" not in image:
        outcome.note("image", f"no tag: Docker's default '{image}:latest' made explicit")
        image = f"{image}:latest"
    service["image"] = image
    if image.endswith(":latest"):
        service["image_unpinned"] = UNPINNED


def _command(template: dict[str, Any], service: dict[str, Any], outcome: Outcome) -> None:
    command = template.get("command")
    if not command:
        return
    try:
        argv = shlex.split(str(command))
    except ValueError as error:
        raise Refused(f"command {command!r} cannot be split into arguments: {error}") from error
    service["command"] = argv
    if shlex.join(argv) != command:
        outcome.note("command", f"re-quoted as {shlex.join(argv)!r}")


def _restart(template: dict[str, Any], service: dict[str, Any], outcome: Outcome) -> None:
    policy = template.get("restart_policy")
    if policy in RESTART:
        service["restart"] = policy
        return
    if policy is None:
        outcome.note("restart_policy", "not set: Portainer's default 'always' made explicit")
    else:
        outcome.note("restart_policy", f"{policy!r} is not a Docker restart policy: 'always'")
    service["restart"] = "always"


def _ports(template: dict[str, Any], service: dict[str, Any], outcome: Outcome, state: ImportState) -> None:
    ports: list[dict[str, Any]] = []
    for text in template.get("ports") or []:
        match = PORT.match(str(text))
        if not match:
            outcome.note("ports", f"{text!r} is not a single [host:]container/protocol port: dropped")
            continue
        host, container, protocol = match.group(1), int(match.group(2)), match.group(3) or "tcp"
        if match.group(3) is None or host == "":
            outcome.note("ports", f"{text!r} read as {(host + ':') if host else ''}{container}/{protocol}")
        port: dict[str, Any] = {"name": f"{protocol}-{container}", "container": container}
        if not host:
            outcome.note(
                "ports",
                f"{text!r} has Portainer publish it on a random host port: kept unpublished "
                "(set host: to publish it on every interface)",
            )
            outcome.note("note", "the template's note says which ports are not published on the host")
        else:
            owner = state.host_ports.get((protocol, int(host)))
            if owner:
                outcome.note(
                    "ports", f"host port {host}/{protocol} is already published by '{owner}': not published"
                )
            else:
                port["host"] = int(host)
                state.host_ports[(protocol, int(host))] = service["id"]
        if protocol != "tcp":
            port["protocol"] = protocol
        if any(p["name"] == port["name"] for p in ports):
            outcome.note("ports", f"{text!r} repeats a container port: dropped")
            continue
        ports.append(port)
    if ports:
        service["ports"] = ports


# Binds that give a container control of the host, judged by where they lead, not by exact
# path: a bind of a folder reaches everything below it, and read-only is no protection for a
# socket (connect() works through a read-only bind), a device node or a secret.
READ_ANYWAY = {
    "/run": "the host's runtime folder (the Docker and containerd sockets are in it)",
    "/var/run": "the host's runtime folder (the Docker and containerd sockets are in it)",
    "/proc": "the host's processes (/proc/1/root is the host's whole file system)",
    "/sys": "the host's kernel and device settings",
    "/dev": "the host's devices (a disk's raw blocks hold every file on it)",
    "/root": "root's home (its SSH keys and credentials)",
    "/boot": "the host's kernel and boot loader",
    "/var/lib/docker": "Docker's data (every container's files and secrets)",
    "/var/lib/containerd": "containerd's data (every container's files)",
    "/etc/shadow": "the host's password hashes",
}
WRITABLE = {
    "/etc": "the host's configuration (cron.d, sudoers, systemd units run as root)",
    "/usr": "the host's programs",
    "/bin": "the host's programs",
    "/sbin": "the host's programs",
    "/lib": "the host's libraries",
    "/lib64": "the host's libraries",
    "/opt": "programs the host runs",
    "/var/spool/cron": "the host's crontabs",
    "/var/lib": "the host's services' state",
}


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder + "/")


# The reason written for a setting kept by --allow-dangerous: the schema refuses reasons that
# begin with it, so the catalog does not build until someone has reviewed the setting.
UNREVIEWED = "UNREVIEWED"


def _dangerous_bind(bind: str, readonly: bool) -> str | None:
    """Why a bind of `bind` gives the container the host, or None for an ordinary folder."""
    path = posixpath.normpath("/" + bind.lstrip("/"))
    mode = "read-only" if readonly else "read-write"
    if path.endswith(".sock"):
        return f"the socket {path} (a service's control socket; the Docker one controls the host)"
    if path == "/":
        return f"the host's whole file system {mode}"
    for folder, what in READ_ANYWAY.items():
        if _under(path, folder):
            return f"{path}: {what}, {mode}"
    if ".ssh" in path.split("/"):
        return f"{path}: SSH keys and authorized_keys, {mode}"
    if not readonly:
        for folder, what in WRITABLE.items():
            if _under(path, folder):
                return f"{path}: {what}, read-write"
    return None


def _keep(outcome: Outcome, what: str, allow: bool) -> bool:
    """Flag a dangerous setting; True when it is kept (--allow-dangerous)."""
    kept = (
        "kept (--allow-dangerous): `gen validate` refuses it until you write its reason"
        if allow
        else "not carried (--allow-dangerous keeps it)"
    )
    outcome.danger(f"{what}: {kept}")
    return allow


def _volumes(template: dict[str, Any], service: dict[str, Any], outcome: Outcome, allow: bool) -> None:
    volumes = []
    for index, volume in enumerate(template.get("volumes") or []):
        if not isinstance(volume, dict):
            raise Refused(f"volume {volume!r} is not an object")
        target, suffix = _path(volume.get("container"), "container path", outcome)
        entry: dict[str, Any] = {}
        bind, bind_suffix = _path(volume.get("bind"), "bind", outcome) if volume.get("bind") else (None, None)
        if (suffix or bind_suffix) == "ro" and "readonly" not in volume:
            volume = {**volume, "readonly": True}
        danger = _dangerous_bind(bind, volume.get("readonly") is True) if bind else None
        if danger and not _keep(outcome, f"volumes: {danger}", allow):
            continue
        if bind:
            entry["host_path"] = bind
            entry["reason"] = (
                f"{UNREVIEWED}: {danger}" if danger else "Bind mount of the imported Portainer template."
            )
        else:
            entry["volume"] = f"{service['id']}-{index}"[:63]
        entry["target"] = target
        readonly = volume.get("readonly", volume.get("read_only"))
        if "read_only" in volume:
            outcome.note("volumes", "'read_only' read as 'readonly'")
        if readonly is True or (bind and readonly is not False):
            entry["read_only"] = bool(readonly)
        if readonly is False and not bind:
            outcome.note("volumes", f"{target}: readonly: false is the default")
        volumes.append(entry)
    if volumes:
        service["volumes"] = volumes


def _path(value: Any, what: str, outcome: Outcome) -> tuple[str, str | None]:
    """An absolute path the catalog accepts, and a ':ro'/':rw' suffix found on it."""
    if not isinstance(value, str):
        raise Refused(f"volume {what} {value!r} is not a path")
    path, suffix = value, None
    if re.search(r":(ro|rw)$", path):
        path, suffix = path[:-3], path[-2:]
        outcome.note("volumes", f"{value!r}: the ':{suffix}' suffix read as readonly: {suffix == 'ro'}")
    if "//" in path:
        path = re.sub("/+", "/", path)
        outcome.note("volumes", f"{value!r}: repeated '/' collapsed")
    if not PATH.match(path) or "/../" in f"{path}/":
        raise Refused(f"volume {what} {value!r} is not an absolute path the catalog accepts")
    return path, suffix


def _env(template: dict[str, Any], service: dict[str, Any], outcome: Outcome) -> None:
    entries = []
    for item in template.get("env") or []:
        if not isinstance(item, dict) or "name" not in item or ("type" in item and "title" in item):
            outcome.note("env", "an entry that is not a variable (a whole template?) dropped")
            continue
        name = item["name"]
        if not isinstance(name, str) or not ENV_NAME.match(name):
            raise Refused(f"environment variable name {name!r} is not a plain name")
        entry: dict[str, Any] = {"name": name}
        default = item.get("default")
        if "set" in item:
            outcome.note("env", f"{name}: legacy 'set' read as a preset default")
            default, entry["preset"] = item["set"], True
        elif item.get("preset") and default:
            entry["preset"] = True
        elif item.get("preset"):
            outcome.note("env", f"{name}: preset without a default dropped (Portainer can never accept it)")
        for legacy in ("type",):
            if legacy in item:
                outcome.note("env", f"{name}: legacy key '{legacy}' dropped")
        select = item.get("select")
        if select:
            values = [str(option.get("value", "")) for option in select]
            chosen = [str(o.get("value")) for o in select if o.get("default") is True]
            default = chosen[0] if chosen else values[0]
            if not chosen:
                outcome.note("env", f"{name}: no default option: the first, {default!r}")
            if any(str(o.get("text")) != str(o.get("value")) for o in select):
                outcome.note("env", f"{name}: option texts replaced by their values")
            entry["options"] = values
        if default is None or default == "":
            entry["required"] = True
        elif not ENV_VALUE.match(str(default)):
            raise Refused(f"the default of {name} holds quotes, '$', '}}', a backslash or a line break")
        else:
            entry["value"] = str(default)
        label = item.get("label")
        if isinstance(label, str) and label.strip():
            entry["label"] = " ".join(label.split())[:80]
        if isinstance(item.get("description"), str) and item["description"].strip():
            entry["description"] = _prose(item["description"], "env", outcome)[:2000]
        entries.append(entry)
    if entries:
        service["env"] = entries


def _security(template: dict[str, Any], service: dict[str, Any], outcome: Outcome, allow: bool) -> None:
    if template.get("privileged"):
        if _keep(outcome, "privileged: every device and capability of the host", allow):
            service["security"] = {
                "privileged": f"{UNREVIEWED}: the imported Portainer template runs it privileged"
            }
    elif template.get("privileged") is False:
        outcome.note("privileged", "false is the default")


def _portainer(
    template: dict[str, Any], service_id: str, outcome: Outcome, state: ImportState
) -> dict[str, Any]:
    settings: dict[str, Any] = {"standalone": True}
    template_id = template.get("id")
    if isinstance(template_id, int) and not isinstance(template_id, bool) and template_id > 0:
        if template_id in state.template_ids:
            new_id = state.free_template_id()
            outcome.note("id", f"template id {template_id} is taken: {new_id}")
            template_id = new_id
    else:
        template_id = state.free_template_id()
        outcome.note("id", f"no id in the file: {template_id}")
    state.template_ids.add(template_id)
    settings["template_id"] = template_id
    note = template.get("note")
    if isinstance(note, str) and note.strip():
        settings["note"] = _prose(note, "note", outcome)[:2000]
    if template.get("name") and template.get("name") != service_id:
        outcome.note("name", f"{template['name']!r} became the service id {service_id!r}")
    elif not template.get("name"):
        outcome.note("name", f"pre-filled with the service id {service_id!r}")
    if template.get("platform") != "linux":
        outcome.note("platform", "set to 'linux'")
    return settings


def _dropped_keys(template: dict[str, Any], outcome: Outcome) -> None:
    for key in sorted(template):
        if key in DROPPED:
            outcome.note(key, "dropped: Portainer 2.22+ ignores it for container templates")
        elif key not in KNOWN:
            outcome.note(key, "unknown key dropped (Portainer drops it too)")
