"""Printing the figures: one table per section, then the line that counts the targets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Figure:
    """One measured figure, what it is compared with, and the target it has to meet (if any)."""

    name: str
    value: str
    baseline: str = ""
    target: str = ""
    holds: bool | None = None  # None: no target, the figure is for information
    target_name: str = ""  # how the last line names the target when it fails


@dataclass
class Section:
    title: str
    note: str = ""
    figures: list[Figure] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # lines under the table

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)

    def info(self, name: str, value: str, baseline: str = "") -> None:
        self.add(Figure(name, value, baseline))

    def check(
        self, name: str, value: str, baseline: str, target: str, holds: bool, target_name: str
    ) -> None:
        self.add(Figure(name, value, baseline, target, holds, target_name))


COLUMNS = ("figure", "value", "baseline", "target", "holds?")


def render(section: Section) -> str:
    """The section as a plain-text table under its title."""
    rows = [COLUMNS] + [
        (
            figure.name,
            figure.value,
            figure.baseline,
            figure.target,
            "" if figure.holds is None else ("yes" if figure.holds else "NO"),
        )
        for figure in section.figures
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [f"== {section.title}"]
    if section.note:
        lines.append(section.note)
    for number, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    lines.extend(section.details)
    return "\n".join(line.rstrip() for line in lines)


def targets_line(sections: Sequence[Section]) -> str:
    """`targets: K/N hold`, naming the ones that do not."""
    checked = [f for section in sections for f in section.figures if f.holds is not None]
    fails = [f.target_name or f.name for f in checked if not f.holds]
    line = f"targets: {len(checked) - len(fails)}/{len(checked)} hold"
    return line + (f" (fails: {', '.join(fails)})" if fails else "")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def secs(seconds: float) -> str:
    return f"{seconds:.2f} s"


def mib(size: float) -> str:
    return f"{size / 2**20:.1f} MiB"


def ratio(value: float) -> str:
    return f"{value:.1f}x"
