"""Catalog text into each output format, safely: one function per format, used by every writer.

Catalog text is data. Single-line fields cannot carry a line break at all (the catalog refuses
them), but prose (descriptions, notes) may span lines, and wherever prose lands in a format where
a line break starts a new statement, it goes through here.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

TEMPLATE_DELIMITERS = re.compile(r"\{\{|\}\}")


def env_comment(text: str) -> str:
    """Prose as comment lines of an env file: every line starts with '# ', so no line of the text
    can become a NAME=value assignment."""
    return "\n".join(f"# {line}".rstrip() for line in text.splitlines() or [""])


CADDY_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@+-")


def caddy_word(value: str) -> str:
    """A catalog value as one Caddyfile token, written quoted. Caddy gives meaning to braces
    ({$VAR} is replaced by the environment variable anywhere in the file, even inside quotes),
    quotes, whitespace and '#': the catalog's patterns keep them out, and this refuses them."""
    if not value or not set(value) <= CADDY_WORD:
        raise ValueError(f"{value!r} cannot be a Caddyfile token: only letters, digits and ._@+- are")
    return f'"{value}"'


def caddy_comment(text: str) -> str:
    """Text for a Caddyfile comment: one line, with no brace Caddy could expand ({$VAR} is
    replaced before comments are stripped)."""
    return " ".join(text.split()).replace("{", "(").replace("}", ")")


def prometheus_text(text: str) -> str:
    """Literal text inside a Prometheus annotation, which Prometheus runs as a Go template:
    each '{{' and '}}' becomes an action that prints it ({{"{{"}}), so catalog text never runs."""
    return TEMPLATE_DELIMITERS.sub(lambda match: '{{"' + match.group() + '"}}', text)


def prometheus_label(text: str) -> str:
    """A label value inside "..." in Prometheus' text exposition format: backslash, double quote
    and line feed escaped, as the format defines."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def sh_quoted(value: object) -> str:
    """A value for the inside of a single-quoted shell string: a quote is written '\\'' (close,
    escaped quote, reopen), so the value stays data whatever it holds."""
    return str(value).replace("'", "'\\''")


def record_field(value: object, *, quoted: bool = True) -> str:
    """A field of a '|'-separated record that a generated script parses, inside a single-quoted
    string (quoted=False: the caller quotes the whole record). The catalog refuses '|' and line
    breaks in these fields; finding one here is a bug."""
    text = str(value)
    if "|" in text or "\n" in text:
        raise ValueError(f"{text!r} cannot be a field of a script's record ('|' or a line break)")
    return sh_quoted(text) if quoted else text


def compose_default(value: str) -> str:
    """A default inside Compose's ${NAME:-default}: Compose ends it at the first '}' and reads
    '$' as interpolation, and has no escape for '}' there, so both are refused (the catalog
    refuses them first; finding one here is a bug)."""
    if "}" in value or "$" in value or "\n" in value:
        raise ValueError(f"{value!r} cannot be a Compose default: '}}', '$' and line breaks are refused")
    return value


def terminal_text(text: str) -> str:
    """Text from outside (the Docker API, Ollama) on one terminal line: control characters, line
    breaks and escape sequences written as Python escapes, so they cannot forge report lines."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


# A Markdown link or image target: `](` then the target up to its closing parenthesis.
MARKDOWN_TARGET = re.compile(r"\]\(([^)]*)\)?")
# A reference definition, `[label]: target`, at the start of a line.
MARKDOWN_REFERENCE = re.compile(r"^([ \t]*)\[([^\]\n]*)\]:([^\n]*)", re.MULTILINE)
SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
# each brace as its HTML numeric character reference: shown as a brace, never read as syntax
BRACES_AS_ENTITIES = str.maketrans({brace: f"&#{ord(brace)};" for brace in "{}"})
BACKTICK_RUN = re.compile(r"`+")


def backtick_fence(text: str, shortest: int) -> str:
    """Backticks enough to open and close code around `text`: longer than any run in it."""
    longest = max((len(run) for run in BACKTICK_RUN.findall(text)), default=0)
    return "`" * max(shortest, longest + 1)


def _unsafe_target(target: str) -> bool:
    """A link target with a scheme other than http(s) and mailto (javascript:, data:...).
    Whitespace is left out first, as a browser's URL parser drops tabs and line breaks."""
    found = SCHEME.match("".join(target.split()).lstrip("<"))
    return found is not None and found.group(1).lower() not in SAFE_SCHEMES


def markdown_text(value: object) -> Markup:
    """Catalog text for a page of the docs site, which is Markdown: the subset it may use is
    emphasis, code, lists and links to http(s), mailto: and the site's pages. HTML is escaped
    (shown as text), braces too (Markdown attribute lists, `{ onclick=... }`, would add HTML
    attributes), and a link or image to any other scheme (javascript:, data:) stays text."""
    if isinstance(value, Markup):
        return value
    text = str(escape(value)).translate(BRACES_AS_ENTITIES)
    text = MARKDOWN_TARGET.sub(
        lambda link: "&#93;" + link.group(0)[1:] if _unsafe_target(link.group(1)) else link.group(0), text
    )
    text = MARKDOWN_REFERENCE.sub(
        lambda ref: (
            f"{ref.group(1)}&#91;{ref.group(2)}]:{ref.group(3)}"
            if _unsafe_target(ref.group(3))
            else ref.group(0)
        ),
        text,
    )
    return Markup(text)


def markdown_cell(value: object) -> Markup:
    """Text in a cell of a Markdown table: as `markdown_text`, on one line, with `|` escaped so it
    cannot end the cell."""
    text = " ".join(str(markdown_text(value)).splitlines())
    return Markup(text.replace("|", "\\|"))


def markdown_code(value: object) -> Markup:
    """A value as an inline code span of a docs page, shown exactly as it is (a code span
    escapes HTML itself) on one line (a line break shows as ⏎), between backticks that no run
    of backticks inside it can close."""
    text = " ⏎ ".join(str(value).splitlines())
    if not text:
        return Markup("*empty*")
    fence = backtick_fence(text, 1)
    padding = " " if text[0] == "`" or text[-1] == "`" else ""
    return Markup(f"{fence}{padding}{text}{padding}{fence}")
