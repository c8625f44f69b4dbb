"""Reads of the witness app: how the configured witnesses stand, for /healthz and the admin."""

from django.conf import settings

from config.health import Health
from witness.models import WitnessState


def witness_states() -> list[tuple[str, WitnessState | None]]:
    """Each configured witness's key with its state (None before it was first asked)."""
    keys = [key for _url, key in settings.LEDGER_WITNESSES]
    states = {state.key: state for state in WitnessState.objects.filter(key__in=keys)}
    return [(key, states.get(key)) for key in keys]


def witness_health() -> Health:
    """Degraded while a witness's last answer was a refusal, or it did not answer."""
    if not settings.LEDGER_WITNESSES:
        return Health(True, "none configured")
    parts, ok = [], True
    for key, state in witness_states():
        name = key.split("+", 1)[0]
        if state is None or state.checked_at is None:
            parts.append(f"{name}: not asked yet")
        elif state.failing:
            ok = False
            parts.append(f"{name}: {state.problem}")
        else:
            parts.append(f"{name}: cosigned size {state.cosigned_size}")
    return Health(ok, "; ".join(parts))
