"""What an import did with each template: mapped (with its normalisations) or refused."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Outcome:
    index: int  # position in the file
    template_id: int | None  # the id in the file (v3)
    title: str
    status: str = "mapped"  # mapped | refused
    entity: str | None = None  # catalog path of the written entry
    normalised: list[tuple[str, str]] = field(default_factory=list)  # (field, what changed)
    reason: str | None = None
    dangers: list[str] = field(default_factory=list)  # settings that give control of the host

    def note(self, key: str, message: str) -> None:
        self.normalised.append((key, message))

    def danger(self, message: str) -> None:
        self.dangers.append(message)

    def refuse(self, reason: str) -> None:
        self.status, self.reason = "refused", reason


@dataclass
class ImportReport:
    source: str
    version: str
    outcomes: list[Outcome]

    ok = True  # refusals are reported, not failures: the rest is imported

    def counts(self) -> dict[str, int]:
        mapped = sum(o.status == "mapped" for o in self.outcomes)
        return {"templates": len(self.outcomes), "mapped": mapped, "refused": len(self.outcomes) - mapped}

    def to_text(self) -> str:
        lines = []
        for o in self.outcomes:
            label = f"#{o.template_id}" if o.template_id is not None else f"[{o.index}]"
            if o.status == "mapped":
                lines.append(f"mapped   {label} {o.title} -> {o.entity}")
                lines.extend(f"           normalised {key}: {message}" for key, message in o.normalised)
                lines.extend(f"           DANGER {message}" for message in o.dangers)
            else:
                lines.append(f"refused  {label} {o.title}: {o.reason}")
        c = self.counts()
        lines.append(
            f"{self.source} (version {self.version}): {c['templates']} templates, "
            f"{c['mapped']} mapped, {c['refused']} refused"
        )
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "version": self.version,
            "counts": self.counts(),
            "templates": [asdict(o) for o in self.outcomes],
        }
