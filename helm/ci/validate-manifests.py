#!/usr/bin/env python3
"""Strict, offline validation of rendered Kubernetes manifests (used by .ci/helm-check.sh).

Built-in kinds are checked against the Kubernetes JSON schemas shipped in the PyPI package
`kubernetes-validate` (the "-local-strict" variants: unknown fields are errors), for every
Kubernetes version given with -k. Custom resources are checked against the schemas in
helm/ci/crd-schemas/ (file name `<kind>-<group prefix>-<version>.json`, the package's convention).

Stricter than the package's own CLI, which only warns when it has no schema for a kind: here a
kind without a schema is an error, and so are duplicate mapping keys, a document without
apiVersion/kind/metadata.name, and two documents with the same kind and name.

Usage: validate-manifests.py -k 1.29.0 -k 1.37.0 [--crd-schemas DIR] FILE...
Exit status: 0 when every document is valid, 1 otherwise.
"""
import argparse
import json
import os
import re
import sys
from functools import lru_cache

import importlib_resources
import jsonschema
import yaml
from referencing import Registry, Resource


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys (PyYAML keeps the last one silently)."""


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f'duplicate key {key!r}', key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

SCHEMA_ROOT = importlib_resources.files('kubernetes_validate').joinpath('kubernetes-json-schema')


def available_versions():
    found = []
    for entry in SCHEMA_ROOT.iterdir():
        m = re.match(r'^v(\d+)\.(\d+)\.(\d+)-local-strict$', entry.name)
        if m:
            found.append(tuple(int(x) for x in m.groups()))
    return sorted(found)


def schema_dir_for(version):
    """The newest bundled schema set not newer than `version` (major.minor)."""
    want = tuple(int(x) for x in version.lstrip('v').split('.')[:2])
    candidates = [v for v in available_versions() if v[:2] <= want]
    if not candidates or available_versions()[-1][:2] < want:
        raise SystemExit(f'kubernetes-validate has no schemas for Kubernetes {version}')
    v = candidates[-1]
    return f'v{v[0]}.{v[1]}.{v[2]}-local-strict'


@lru_cache(maxsize=None)
def definitions(schema_dir):
    with SCHEMA_ROOT.joinpath(schema_dir, '_definitions.json').open() as f:
        return Resource.from_contents(json.load(f))


@lru_cache(maxsize=None)
def builtin_validator(schema_dir, filename):
    path = SCHEMA_ROOT.joinpath(schema_dir, filename)
    if not path.is_file():
        return None
    with path.open() as f:
        schema = json.load(f)
    registry = Registry().with_resources(
        [(schema.get('$id', filename), Resource.from_contents(schema))]
    )
    registry = definitions(schema_dir) @ registry
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


@lru_cache(maxsize=None)
def crd_validator(crd_dir, filename):
    path = os.path.join(crd_dir, filename)
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def schema_filename(doc):
    # rbac.authorization.k8s.io/v1 -> rbac-v1, apps/v1 -> apps-v1, v1 -> v1
    api = re.sub(r'^([^./]*)(?:\.[^/]*)?/', r'\1-', doc['apiVersion'])
    return f"{doc['kind'].lower()}-{api}.json"


def fmt_path(error):
    return '.'.join(str(p) for p in error.absolute_path) or '(root)'


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('-k', '--kube-version', action='append', required=True)
    ap.add_argument('--crd-schemas', default=os.path.join(os.path.dirname(__file__), 'crd-schemas'))
    ap.add_argument('-q', '--quiet', action='store_true', help='print failures and the summary only')
    ap.add_argument('files', nargs='+')
    args = ap.parse_args()

    schema_dirs = [(v, schema_dir_for(v)) for v in args.kube_version]
    ok = bad = 0
    for filename in args.files:
        with open(filename) as f:
            try:
                docs = [d for d in yaml.load_all(f, Loader=StrictLoader) if d]
            except yaml.YAMLError as e:
                print(f'FAIL {filename}: invalid YAML: {e}')
                bad += 1
                continue
        seen = set()
        for doc in docs:
            problems = []
            if not isinstance(doc, dict) or not doc.get('apiVersion') or not doc.get('kind'):
                print(f'FAIL {filename}: a document without apiVersion/kind: {str(doc)[:120]}')
                bad += 1
                continue
            name = (doc.get('metadata') or {}).get('name')
            ident = f"{doc['kind']}/{name}"
            if not name:
                problems.append('metadata.name is missing')
            if (doc['kind'], name) in seen:
                problems.append('a second document with the same kind and name')
            seen.add((doc['kind'], name))
            sfile = schema_filename(doc)
            crd = crd_validator(args.crd_schemas, sfile)
            checked = []
            if crd is not None:
                for e in sorted(crd.iter_errors(doc), key=lambda e: list(e.absolute_path)):
                    problems.append(f'{fmt_path(e)}: {e.message}')
                checked.append(f'crd-schemas/{sfile}')
            else:
                for version, sdir in schema_dirs:
                    validator = builtin_validator(sdir, sfile)
                    if validator is None:
                        problems.append(
                            f"no schema for {doc['kind']} ({doc['apiVersion']}) in Kubernetes {version}"
                            ' (a typo in kind/apiVersion, or a custom resource without a schema in '
                            f'{args.crd_schemas})'
                        )
                        break
                    for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
                        problems.append(f'[k8s {version}] {fmt_path(e)}: {e.message}')
                    checked.append(version)
            if problems:
                bad += 1
                print(f'FAIL {filename}: {ident}')
                for p in problems:
                    print(f'       {p}')
            else:
                ok += 1
                if not args.quiet:
                    print(f'ok   {filename}: {ident} ({", ".join(checked)})')
    print(f'manifests: {ok} valid, {bad} invalid')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
