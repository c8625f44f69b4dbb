"""Loaded by the schemathesis run of test_schemathesis.py (SCHEMATHESIS_HOOKS).

Schemathesis' `positive_data_acceptance` expects every schema-valid request to be accepted.
remelt's rules cannot all be said in a schema (a lot's kilograms left, an entry to withdraw
that exists, a tree size within the ledger), and a request that breaks one is refused with a
400 problem naming the rule. This check is that built-in check, except that such a refusal
passes; a refusal as a shape error (`invalid`, `parse_error`: the server reads the request
otherwise than the schema says) still fails it.
"""

import json

import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

SHAPE_CODES = {"invalid", "parse_error"}


@schemathesis.check
def positive_data_acceptance_but_rules(ctx, response, case):
    if response.status_code == 400:
        try:
            code = json.loads(response.content).get("code")
        except (ValueError, AttributeError):
            code = None
        if isinstance(code, str) and code not in SHAPE_CODES:
            return None
    return positive_data_acceptance(ctx, response, case)
