"""Read catalog files (libyaml through fastyaml; ruamel.yaml only for the line numbers of a message).
The only module that reads them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yaml import YAMLError as PyYAMLError

from generator.catalog import fastyaml
from generator.catalog.kinds import KIND_BY_FOLDER, ROOT_FILES, Kind
from generator.catalog.yaml_values import bad_value, unfit
from generator.diagnostics import Diagnostic, display_path, json_path

if TYPE_CHECKING:  # ruamel is imported only when a message needs line numbers
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import MarkedYAMLError

IGNORED_SUFFIXES = (".md", ".txt")


@dataclass
class RawDocument:
    """One parsed catalog file: its kind, its data (plain dicts and lists) and where it came from.

    The data comes from the fast reader; line numbers come from ruamel.yaml, which parses the
    text again only when a message about this file needs them.
    """

    path: Path
    kind: Kind
    data: dict[str, Any]
    text: str = ""
    display: str = field(init=False)
    _located: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.display = display_path(self.path)

    @property
    def stem(self) -> str:
        return self.path.name.removesuffix(".yaml")

    def locate(self, parts: Sequence[str | int], *, key: bool = False) -> tuple[int, int]:
        """1-based line and column of the node at `parts`, or of its nearest existing parent.

        With key=True, the position of the last mapping key itself (for unknown keys).
        """
        if self._located is None:
            from ruamel.yaml.error import YAMLError

            try:
                self._located = _yaml().load(self.text)
            except YAMLError:  # libyaml read it but ruamel cannot (e.g. a tab after '('): no lines
                self._located = {}
        return locate(self._located, parts, key=key)

    def diagnostic(self, parts: Sequence[str | int], message: str, *, key: bool = False) -> Diagnostic:
        line, column = self.locate(parts, key=key)
        return Diagnostic(self.display, line, column, json_path(parts), message)


def locate(root: Any, parts: Sequence[str | int], *, key: bool = False) -> tuple[int, int]:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    node = root
    line, column = _start(root)
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        try:
            if isinstance(node, CommentedMap) and part in node:
                line, column = node.lc.key(part) if (key and last) else node.lc.value(part)
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line, column = node.lc.item(part)
                node = node[part]
            else:
                break
        except (KeyError, TypeError):  # a value a merge key (<<) brought: ruamel keeps no place for it
            break
    return line + 1, column + 1


def _start(node: Any) -> tuple[int, int]:
    lc = getattr(node, "lc", None)
    if lc is None or lc.line is None:
        return 0, 0
    return lc.line, lc.col


@dataclass
class Loaded:
    documents: list[RawDocument]
    examined: list[Any]  # what `examine` said of each document, in the same order
    problems: list[Diagnostic]
    found: dict[str, set[str]]  # kind -> ids of every file found, parsed or not


def load_documents(
    catalog_dir: Path,
    examine: Callable[[RawDocument], Any] = lambda _: None,
    overlay: Mapping[str, str] | None = None,
) -> Loaded:
    """Parse every catalog file and `examine` each document read, in the process that read it
    (a large catalog's files are shared with a forked child). Problems become diagnostics;
    nothing here raises on bad data. `overlay`: texts (by path relative to the catalog, e.g.
    "services/web.yaml") read in place of the file there, or as a new file: the catalog as it
    would be after an edit, without writing anything."""
    problems: list[Diagnostic] = []
    found: dict[str, set[str]] = {}
    texts = {catalog_dir / relative: text for relative, text in (overlay or {}).items()}
    listed = list(_catalog_files(catalog_dir))
    on_disk = {path for path, _, _ in listed}
    listed += [(path, _overlay_kind(catalog_dir, path), "") for path in texts if path not in on_disk]
    to_parse: list[tuple[Path, Kind, str | None]] = []
    for path, kind, problem in sorted(listed, key=lambda entry: entry[0]):
        if problem:
            problems.append(Diagnostic(display_path(path), 1, 1, "", problem))
            continue
        assert kind is not None
        found.setdefault(kind.name, set()).add(path.name.removesuffix(".yaml"))
        to_parse.append((path, kind, texts.get(path)))
    documents, examined = [], []
    for document, problem_at, finding in _parse_all(to_parse, examine):
        if problem_at is not None:
            problems.append(problem_at)
        elif document is not None:
            documents.append(document)
            examined.append(finding)
    for file_name, kind in ROOT_FILES.items():
        present = (catalog_dir / file_name).is_file() or catalog_dir / file_name in texts
        if kind.required and not present and catalog_dir.is_dir():
            message = f"missing file: the catalog needs {file_name} (site_url and repository)"
            problems.append(Diagnostic(display_path(catalog_dir / file_name), 1, 1, "", message))
    return Loaded(documents, examined, problems, found)


@cache
def _yaml() -> YAML:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def _catalog_files(catalog_dir: Path) -> Iterator[tuple[Path, Kind | None, str]]:
    """Yield (path, kind, problem) for every file the catalog holds, sorted."""
    allowed = f"the folders {', '.join(sorted(KIND_BY_FOLDER))} and the files {' and '.join(ROOT_FILES)}"
    root = catalog_dir.resolve()
    entries = _listing(catalog_dir)
    if isinstance(entries, str):
        yield catalog_dir, None, entries
        return
    for entry in entries:
        if entry.name.startswith(".") or entry.name.endswith(IGNORED_SUFFIXES):
            continue
        if _leaves(entry, root):
            yield entry, None, _outside(entry)
        elif entry.is_file() and entry.name in ROOT_FILES:
            yield entry, ROOT_FILES[entry.name], ""
        elif entry.is_dir() and entry.name in KIND_BY_FOLDER:
            yield from _kind_files(entry, KIND_BY_FOLDER[entry.name], root)
        else:
            yield (
                entry,
                None,
                f"unexpected {_what(entry)} '{entry.name}'; the catalog holds {allowed}",
            )


def _overlay_kind(catalog_dir: Path, path: Path) -> Kind:
    """The kind of a new file an overlay adds (gen itself names them: a wrong one is a bug)."""
    parts = path.relative_to(catalog_dir).parts
    if len(parts) == 1 and parts[0] in ROOT_FILES:
        return ROOT_FILES[parts[0]]
    if len(parts) == 2 and parts[0] in KIND_BY_FOLDER and parts[1].endswith(".yaml"):
        return KIND_BY_FOLDER[parts[0]]
    raise ValueError(f"an overlay names {path}, which is no catalog file")


def _listing(folder: Path) -> list[Path] | str:
    """The folder's entries, sorted, or why this user cannot read them."""
    try:
        return sorted(folder.iterdir())
    except OSError as error:
        return f"the folder {folder.name}/ cannot be read: {error.strerror or error}"


def _kind_files(folder: Path, kind: Kind, root: Path) -> Iterator[tuple[Path, Kind | None, str]]:
    entries = _listing(folder)
    if isinstance(entries, str):
        yield folder, None, entries
        return
    for entry in entries:
        if entry.name.startswith(".") or entry.name.endswith(IGNORED_SUFFIXES):
            continue
        if _leaves(entry, root):
            yield entry, None, _outside(entry)
        elif entry.is_file() and entry.name.endswith(".yaml"):
            yield entry, kind, ""
        else:
            yield (
                entry,
                None,
                f"unexpected {_what(entry)} '{entry.name}'; "
                f"{folder.name}/ holds one '<id>.yaml' file per {kind.name}",
            )


def _leaves(entry: Path, root: Path) -> bool:
    """A symbolic link whose target is outside the catalog: never read (its content would show
    in messages), whatever it points at."""
    return entry.is_symlink() and not entry.resolve().is_relative_to(root)


def _outside(entry: Path) -> str:
    return (
        f"'{entry.name}' is a link to a file outside the catalog, which is not read; "
        "copy the file into the catalog instead"
    )


def _what(entry: Path) -> str:
    return "folder" if entry.is_dir() else "file"


MAX_FILE_BYTES = 1024 * 1024  # a catalog file is a few KB; this bounds memory and time
MAX_DEPTH = 64  # nesting of mappings and sequences
MAX_VALUES = 100_000  # values once aliases are expanded: an "alias bomb" grows a 3 KB file into gigabytes


def _parse(path: Path, overlay: str | None = None) -> tuple[dict[str, Any] | None, str, Diagnostic | None]:
    """The file's data and text, or why not; `overlay`: its text, read in place of the file."""
    shown = display_path(path)
    try:
        raw = overlay.encode("utf-8", "surrogatepass") if overlay is not None else b""
        size = len(raw) if overlay is not None else path.stat().st_size
        if size > MAX_FILE_BYTES:
            message = (
                f"the file has {size} bytes; a catalog file may have at most {MAX_FILE_BYTES} (one entity)"
            )
            return None, "", Diagnostic(shown, 1, 1, "", message)
        raw = raw if overlay is not None else path.read_bytes()
    except OSError as error:  # unreadable for this user, or gone meanwhile
        return None, "", Diagnostic(shown, 1, 1, "", f"the file cannot be read: {error.strerror or error}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        message = f"the file is not valid UTF-8 (byte 0x{raw[error.start]:02x}); save it as UTF-8"
        return None, text_of(raw), Diagnostic(shown, line, column, "", message)
    bounded = fastyaml.shape_problem(text, MAX_DEPTH, MAX_VALUES)
    if bounded is not None:
        (line, column), message = bounded
        return None, text, Diagnostic(shown, line, column, "", message)
    try:
        fast = fastyaml.load(text)
    except (PyYAMLError, ValueError):  # a value the fast reader cannot make (a date like 2024-02-30)
        fast = None  # ruamel reads it again below, for a located message
    if isinstance(fast, dict) and unfit(fast) is None:
        return fast, text, None
    data, problem = _parse_located(_yaml(), shown, text)
    found = unfit(data) if data is not None and problem is None else None
    if found is not None:
        parts, message, at_key = found
        line, column = locate(data, parts, key=at_key)
        return (
            None,
            text,
            Diagnostic(shown, line, column, json_path(parts[:-1] if at_key else parts), message),
        )
    return (plain(data) if data is not None else None), text, problem


def text_of(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _parse_located(yaml: YAML, shown: str, text: str) -> tuple[CommentedMap | None, Diagnostic | None]:
    """ruamel.yaml's reading of a file the fast reader refused: the problem, with its place."""
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    try:
        data = yaml.load(text)
    except MarkedYAMLError as error:
        return None, _yaml_problem(shown, text, error)
    except ReaderError as error:  # a control character YAML does not allow
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        message = f"invalid YAML: character #x{error.character:04x} is not allowed in YAML text"
        return None, Diagnostic(shown, line, column, "", message)
    except YAMLError as error:  # any other parser complaint, without a position
        return None, Diagnostic(shown, 1, 1, "", f"invalid YAML: {' '.join(str(error).split())}")
    except ValueError as error:  # a value YAML cannot make: a long integer, a date like 2024-02-30
        return None, bad_value(shown, text, error)
    except TypeError:  # ruamel.yaml cannot hash a key that holds a list (`? {a: [1]}`)
        return None, _complex_key(shown, text)
    if data is None:
        message = "the file is empty; it must hold one mapping that starts with 'id:'"
        return None, Diagnostic(shown, 1, 1, "", message)
    if not isinstance(data, CommentedMap):
        line, column = _start(data)
        message = f"the file must hold a mapping (key: value lines), not a {_yaml_type(data)}"
        return None, Diagnostic(shown, line + 1, column + 1, "", message)
    return data, None


def _complex_key(shown: str, text: str) -> Diagnostic:
    """A mapping key that is itself a mapping or a list: at its `?`, where there is one."""
    found = re.search(r"(?m)^[ \t-]*(\?)(?=[ \t]|$)", text)
    line = text.count("\n", 0, found.start(1)) + 1 if found else 1
    column = found.start(1) - (text.rfind("\n", 0, found.start(1)) + 1) + 1 if found else 1
    message = "invalid YAML: a key must be text or a number, not a mapping or a list"
    return Diagnostic(shown, line, column, "", message)


def _first_definition(text: str, key: str, line: int, column: int) -> int | None:
    """The line where `key` first appears at the same indentation, above `line`."""
    for number, source in enumerate(text.splitlines()[: line - 1], start=1):
        stripped = source[column - 1 :]
        if source[: column - 1].strip(" -") == "" and stripped.startswith((f"{key}:", f'"{key}":')):
            return number
    return None


def _yaml_problem(shown: str, text: str, error: MarkedYAMLError) -> Diagnostic:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = " ".join(str(error.problem or "").split())
    if "duplicate key" in problem:
        key = problem.split('"')[1] if '"' in problem else "?"
        first = _first_definition(text, key, line, column)
        where = f" (first defined on line {first})" if first else ""
        return Diagnostic(shown, line, column, "", f"duplicate key '{key}'{where}")
    context = " ".join(str(error.context or "").split())
    detail = f"{context}: {problem}" if context and context not in problem else problem
    return Diagnostic(shown, line, column, "", f"invalid YAML: {detail}")


Read = tuple[RawDocument | None, Diagnostic | None, Any]  # document, or why not; examined


def _parse_all(
    files: list[tuple[Path, Kind, str | None]], examine: Callable[[RawDocument], Any]
) -> list[Read]:
    """Every file read and examined, in order."""
    results: list[Read] = []
    for path, kind, overlay in files:
        data, text, problem = _parse(path, overlay)
        document = RawDocument(path, kind, data, text) if data is not None and not problem else None
        results.append((document, problem, examine(document) if document else None))
    return results


def _yaml_type(data: Any) -> str:
    if isinstance(data, list):
        return "list"
    return "single value" if not isinstance(data, dict) else "mapping"


def plain(value: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    for base in (bool, str, int, float):  # ruamel's scalar subclasses as their base type
        if isinstance(value, base):
            return base(value)
    return value
