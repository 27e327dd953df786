"""An emulation of how Portainer reads templates.json, to catch what would make it reject ours.

Backend (2.20+, api/http/handler/templates/utils_fetch_templates.go): the body is decoded into the
Go `Template` struct with segmentio/encoding/json: keys match case-insensitively, unknown keys are
skipped, `null` is a no-op, and ANY type mismatch on a known key fails the whole file.
Frontend (view-model.ts, AppTemplatesView.tsx, envVarsFieldset): version must be "2" or "3";
in v3 an id of 0 or a missing id makes a template unselectable, duplicates clash; every env field
is required, so `preset` without a default can never validate; a select's initial value is its
first `default: true` option (checked in Portainer 2.20's sources).
"""

from __future__ import annotations

from typing import Any

# Go type of each key of portainer.Template (api/portainer.go at 2.23)
STRING, INT, BOOL = "string", "int", "bool"
TEMPLATE_FIELDS: dict[str, Any] = {
    "id": INT,
    "type": INT,
    "title": STRING,
    "description": STRING,
    "administrator_only": BOOL,
    "image": STRING,
    "repository": {"url": STRING, "stackfile": STRING},
    "stackfile": STRING,  # Go field StackFile: matched case-insensitively
    "name": STRING,
    "logo": STRING,
    "env": [
        {
            "name": STRING,
            "label": STRING,
            "description": STRING,
            "default": STRING,
            "preset": BOOL,
            "select": [{"text": STRING, "value": STRING, "default": BOOL}],
        }
    ],
    "note": STRING,
    "platform": STRING,
    "categories": [STRING],
    "registry": STRING,
    "command": STRING,
    "network": STRING,
    "volumes": [{"container": STRING, "bind": STRING, "readonly": BOOL}],
    "ports": [STRING],
    "labels": [{"name": STRING, "value": STRING}],
    "privileged": BOOL,
    "interactive": BOOL,
    "restart_policy": STRING,
    "hostname": STRING,
}


def _decode(value: Any, go_type: Any, where: str, errors: list[str]) -> None:
    if value is None:
        return  # null leaves the zero value
    if isinstance(go_type, dict):
        if not isinstance(value, dict):
            errors.append(f"{where}: cannot unmarshal {type(value).__name__} into a Go struct")
            return
        fields = {k.lower(): (k, t) for k, t in go_type.items()}
        for key, item in value.items():
            match = fields.get(key.lower())  # exact or case-insensitive; unknown keys are skipped
            if match:
                _decode(item, match[1], f"{where}.{key}", errors)
    elif isinstance(go_type, list):
        if not isinstance(value, list):
            errors.append(f"{where}: cannot unmarshal {type(value).__name__} into a Go slice")
            return
        for index, item in enumerate(value):
            _decode(item, go_type[0], f"{where}[{index}]", errors)
    elif go_type == STRING and not isinstance(value, str):
        errors.append(f"{where}: cannot unmarshal {type(value).__name__} into Go value of type string")
    elif go_type == BOOL and not isinstance(value, bool):
        errors.append(f"{where}: cannot unmarshal {type(value).__name__} into Go value of type bool")
    elif go_type == INT and (isinstance(value, bool) or not isinstance(value, int)):
        errors.append(f"{where}: cannot unmarshal {type(value).__name__} into Go value of type int")


def portainer_errors(document: Any) -> list[str]:
    """What would make Portainer 2.20+ reject the file, or a template unusable, as messages."""
    errors: list[str] = []
    if not isinstance(document, dict):
        return ["the file is not a JSON object: cannot unmarshal into listResponse (HTTP 500)"]
    if not isinstance(document.get("version"), str):
        errors.append("version: cannot unmarshal into Go value of type string")
    templates = document.get("templates")
    if not isinstance(templates, list):
        return [*errors, "templates: cannot unmarshal into []portainer.Template"]
    for index, template in enumerate(templates):
        _decode(template, TEMPLATE_FIELDS, f"templates[{index}]", errors)
    if errors:
        return errors  # the whole file fails before the UI sees anything
    version = document["version"]
    if version not in ("2", "3"):
        return [f"version {version!r}: Unsupported template version"]
    ids: dict[int, int] = {}
    for index, template in enumerate(templates):
        where = f"templates[{index}]"
        if version == "3":
            template_id = template.get("id") or 0
            if template_id <= 0:
                errors.append(f"{where}: id missing or 0: the template cannot be opened")
            elif template_id in ids:
                errors.append(f"{where}: id {template_id} already used by templates[{ids[template_id]}]")
            ids.setdefault(template_id, index)
        if template.get("type") not in (1, 2, 3):
            errors.append(f"{where}: type {template.get('type')!r} cannot be deployed")
        if template.get("type") in (2, 3) and not (template.get("repository") or {}).get("url"):
            errors.append(f"{where}: no repository url: deploying fails with 'Invalid repository URL'")
        for env_index, env in enumerate(template.get("env") or []):
            if env.get("preset") and not env.get("default"):
                errors.append(f"{where}.env[{env_index}]: preset without a default can never be valid")
    return errors
