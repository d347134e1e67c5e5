"""Prints the mutation score per file from cargo-mutants output directories.

    python3 assets/mutants/score.py mutants-result/mutants.out [LATER_RUN/mutants.out ...]

A mutant counts as caught when a test failed or timed out on it; unviable mutants (that do
not build) are not counted. With several directories (a run, then `--iterate` runs over what
it left), each mutant's latest outcome counts. Goal (TESTING.md): at least 90 % of viable
mutants caught per file. The mutants still missed are listed.
"""

import collections
import pathlib
import sys

GOAL = 0.90
OUTCOMES = (("caught", "caught.txt"), ("caught", "timeout.txt"),
            ("missed", "missed.txt"), ("unviable", "unviable.txt"))


def lines(path: pathlib.Path) -> list[str]:
    return [l for l in path.read_text().splitlines() if l.strip()] if path.exists() else []


def main() -> int:
    directories = [pathlib.Path(d) for d in (sys.argv[1:] or ["mutants-result/mutants.out"])]
    latest: dict[str, str] = {}
    for directory in directories:
        for kind, name in OUTCOMES:
            for mutant in lines(directory / name):
                latest[mutant] = kind
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for mutant, kind in latest.items():
        counts[mutant.split(":", 1)[0]][kind] += 1
    total = collections.Counter()
    print(f"{'file':36} {'caught':>7} {'missed':>7} {'unviable':>9} {'score':>7}")
    below = []
    for file in sorted(counts):
        c = counts[file]
        total.update(c)
        viable = c["caught"] + c["missed"]
        score = c["caught"] / viable if viable else 1.0
        if score < GOAL:
            below.append(file)
        print(f"{file:36} {c['caught']:7} {c['missed']:7} {c['unviable']:9} {score:7.1%}")
    viable = total["caught"] + total["missed"]
    print(f"{'all':36} {total['caught']:7} {total['missed']:7} {total['unviable']:9} "
          f"{(total['caught'] / viable if viable else 1.0):7.1%}")
    if below:
        print(f"below {GOAL:.0%}: {', '.join(below)}")
    missed = sorted(m for m, kind in latest.items() if kind == "missed")
    if missed:
        print("\nmissed:")
        print("\n".join(missed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
