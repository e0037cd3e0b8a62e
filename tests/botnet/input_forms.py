"""The input forms every botnet subcommand shares (window/record_source.h):
the rows from a capture itself (-r, a plain argument), from its records
(--from-records FILE and on standard input) and from a run of a database
the main command wrote (--from-db, --db-run) must all be the same; and the
database errors. check() returns the failures as messages."""

import os

from common import run


def check(flowshark, command, capture, records_path, tmp, options=()):
    """Failure messages of `flowshark COMMAND [options]` over the input
    forms of capture (records_path: its records, --keep-empty)."""
    failures = []
    name = os.path.basename(capture)
    base = [flowshark, command, *options]
    want = run(base + ["--from-records", records_path]).stdout
    if not want:
        failures.append(f"{command} {name}: no rows from --from-records")
    db = os.path.join(tmp, f"{command}-input-forms.db")
    if os.path.exists(db):
        os.remove(db)
    run([flowshark, "-r", capture, "--keep-empty", "-q", "-T", "sqlite", "-w", db])
    run([flowshark, "-r", capture, "-q", "-T", "sqlite", "-w", db])  # run 2: other flows
    with open(records_path) as f:
        stdin_rows = run(base + ["--from-records", "-"], input=f.read()).stdout
    forms = {
        "-r": run(base + ["-r", capture]).stdout,
        "a plain argument": run(base + [capture]).stdout,
        "standard input": stdin_rows,
        "--from-db --db-run 1": run(base + ["--from-db", db, "--db-run", "1"]).stdout,
    }
    for form, rows in forms.items():
        if rows != want:
            failures.append(f"{command} {name}: {form} differs from --from-records")
    if run(base + ["--from-db", db]).stdout != run(base + ["--from-db", db, "--db-run",
                                                           "2"]).stdout:
        failures.append(f"{command} --from-db: the default run is not the last one")
    p = run(base + ["--from-db", db, "--db-run", "9"])
    if p.returncode != 3 or "no run 9" not in p.stderr:
        failures.append(f"{command} --from-db --db-run 9: exit {p.returncode}, {p.stderr!r}")
    p = run(base + ["--from-db", records_path])
    if p.returncode != 3 or "not a flowshark database" not in p.stderr:
        failures.append(f"{command} --from-db of a text file: exit {p.returncode}, "
                        f"{p.stderr!r}")
    p = run(base + ["-r", capture, "--from-records", records_path])
    if p.returncode != 1:
        failures.append(f"{command} with two input forms: exit {p.returncode}")
    p = run(base + ["--from-records", records_path, "-j", "2"])
    if p.returncode != 1:
        failures.append(f"{command} --from-records with -j: exit {p.returncode}")
    return failures
