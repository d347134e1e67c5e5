"""Prints the mutation score per file from a cargo-mutants output directory.

    python3 assets/mutants/score.py mutants-result/mutants.out

A mutant counts as caught when a test failed or timed out on it; unviable mutants (that do
not build) are not counted. Goal (TESTING.md): at least 90 % of viable mutants caught per file.
"""

import collections
import pathlib
import sys

GOAL = 0.90


def lines(directory: pathlib.Path, name: str) -> list[str]:
    path = directory / name
    return [l for l in path.read_text().splitlines() if l.strip()] if path.exists() else []


def main() -> int:
    directory = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "mutants-result/mutants.out")
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for kind, name in (("caught", "caught.txt"), ("caught", "timeout.txt"),
                       ("missed", "missed.txt"), ("unviable", "unviable.txt")):
        for line in lines(directory, name):
            counts[line.split(":", 1)[0]][kind] += 1
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
