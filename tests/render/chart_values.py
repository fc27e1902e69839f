"""Check the values the collection gives an upstream chart against that chart's pinned defaults and schema.

Helm silently ignores a values key the chart does not read, so a misspelled key "works" and does nothing. Every
key the collection sets must exist in the pinned chart's values.yaml (../shared/charts/<chart>/<version>/, or
CHAINOPS_CHARTS), except below a map the chart leaves free-form (an empty map in the defaults, such as
annotations, nodeSelector or resources), and the values must pass the chart's values.schema.json where it has one.
"""

import json
import os

import jsonschema
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHARTS = os.environ.get("CHAINOPS_CHARTS", os.path.join(os.path.dirname(REPO), "shared", "charts"))


class ChartMissing(Exception):
    """The pinned chart's defaults are not available to check against."""


def chart_dir(chart, version):
    path = os.path.join(CHARTS, chart, str(version))
    if not os.path.isfile(os.path.join(path, "values.yaml")):
        raise ChartMissing("no defaults for chart %s %s at %s (set CHAINOPS_CHARTS)" % (chart, version, path))
    return path


def load_defaults(chart, version):
    with open(os.path.join(chart_dir(chart, version), "values.yaml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def load_schema(chart, version):
    path = os.path.join(chart_dir(chart, version), "values.schema.json")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def unknown_keys(values, defaults, path=()):
    """Dotted paths of keys in `values` that the defaults do not have (free-form maps excepted)."""
    found = []
    for key, value in values.items():
        here = path + (str(key),)
        if not isinstance(defaults, dict) or key not in defaults:
            found.append(".".join(here))
            continue
        default = defaults[key]
        if isinstance(value, dict) and isinstance(default, dict) and default:
            found.extend(unknown_keys(value, default, here))
    return found


def coalesce(defaults, values):
    """The values Helm hands the templates (and its schema check): the defaults with ours merged over them."""
    merged = dict(defaults)
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = coalesce(merged[key], value)
        else:
            merged[key] = value
    return merged


def schema_errors(values, schema):
    if schema is None:
        return []
    validator = jsonschema.validators.validator_for(schema)(schema)
    return ["%s: %s" % ("/".join(map(str, err.absolute_path)) or "(root)", err.message) for err in validator.iter_errors(values)]


def check_helmchart(doc):
    """Problems of one rendered HelmChart object; raises ChartMissing when the chart is not available."""
    annotations = doc.get("metadata", {}).get("annotations", {})
    chart = annotations.get("chainops.io/chart")
    version = annotations.get("chainops.io/chart-version")
    if not chart or not version:
        return ["HelmChart %s lacks the chainops.io/chart and chainops.io/chart-version annotations" % doc["metadata"].get("name")]
    values = yaml.safe_load(doc["spec"].get("valuesContent") or "{}") or {}
    defaults = load_defaults(chart, version)
    problems = ["%s %s: values key %s does not exist in the chart's defaults" % (chart, version, key)
                for key in unknown_keys(values, defaults)]
    problems += ["%s %s: values fail the chart's schema at %s" % (chart, version, err)
                 for err in schema_errors(coalesce(defaults, values), load_schema(chart, version))]
    return problems
