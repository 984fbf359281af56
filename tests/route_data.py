"""Routes with ``<int:...>`` ids, and URLs that fill them, for the hostile-input tests."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter


def int_routes(app):
    """(rule, method) for every route with an ``<int:...>`` part."""
    for rule in app.url_map.iter_rules():
        if any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def url_with_ids(rule, value):
    path = rule.rule
    for name, converter in rule._converters.items():
        target = f"<int:{name}>" if isinstance(converter, IntegerConverter) else None
        if target and target in path:
            path = path.replace(target, str(value))
        elif f"<{name}>" in path:
            path = path.replace(f"<{name}>", "consultation")
        else:  # <any(...):name>
            start = path.index("<any(")
            choice = path[start + 5:path.index(")", start)].split(",")[0].strip().strip("'\"")
            path = path[:start] + choice + path[path.index(">", start) + 1:]
    return path
