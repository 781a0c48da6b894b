#!/usr/bin/env python3
"""What `wxcflow render` is measured against: the script a user would write without wxcflow.

Reads each tenant TOML file with tomllib, renders the GetOAuthToken flow document written as a
Jinja2 template (get-oauth-token.flow.json.j2: the document wxcflow builds, with each parameter's
value and the debug-report switch written in), parses the result with json.loads, validates it
with jsonschema against schemas/flow-document.schema.json (the same schema wxcflow checks its
documents with; jsonschema ignores wxcflow's own cross-reference keyword), and writes one
`<tenant>.flow.json` per tenant. The template and the validator are compiled once.

Usage: python3 benches/python/render_tenants.py TENANTS_DIR OUT_DIR
Needs Python 3.11+ (tomllib), jinja2 and jsonschema (pip install jinja2 jsonschema); only
for measuring, no test runs it. docs/speed.md has the command that compares it with wxcflow.
"""

import hashlib
import json
import os
import sys
import tomllib
from pathlib import Path

import jinja2
import jsonschema

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "get-oauth-token.flow.json.j2"
SCHEMA = HERE.parent.parent / "schemas" / "flow-document.schema.json"

# The template's parameters and their defaults, as in templates/get-oauth-token.toml.
DEFAULTS = {
    "token_service_url": "",
    "token_passphrase": "",
    "static_token": "",
    "debug_url": "",
    "debug_report": True,
}


def value(tenant_dir, raw):
    """A tenant value: as written, or a secret from an environment variable or a file."""
    if isinstance(raw, dict) and "env" in raw:
        return os.environ[raw["env"]]
    if isinstance(raw, dict) and "file" in raw:
        return (tenant_dir / raw["file"]).read_text().strip()
    return raw


def main():
    tenants, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    template_text = TEMPLATE.read_text()
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    template = env.from_string(template_text)
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema)
    provenance = {
        "template_file": TEMPLATE.name,
        "template_sha256": hashlib.sha256(template_text.encode()).hexdigest(),
    }
    failed = 0
    for path in sorted(tenants.glob("*.toml")):
        data = path.read_bytes()
        raw = tomllib.loads(data.decode())
        unknown = set(raw) - set(DEFAULTS)
        if unknown:
            print(f"{path}: unknown parameters {sorted(unknown)}", file=sys.stderr)
            failed += 1
            continue
        values = {**DEFAULTS, **{k: value(path.parent, v) for k, v in raw.items()}}
        text = template.render(
            **values,
            **provenance,
            tenant_file=path.name,
            tenant_sha256=hashlib.sha256(data).hexdigest(),
        )
        document = json.loads(text)
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
        if errors:
            print(f"{path}: {errors[0].message}", file=sys.stderr)
            failed += 1
            continue
        (out / f"{path.stem}.flow.json").write_text(text)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
