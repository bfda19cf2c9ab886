"""What GRBL 1.1's `error:N` and `ALARM:N` codes mean (after gnea/grbl doc/csv)."""

from __future__ import annotations

__all__ = ["GRBL_ERRORS", "GRBL_ALARMS", "error_meaning", "alarm_meaning"]

GRBL_ERRORS: dict[int, str] = {
    1: "expected command letter: a G-code word has no letter",
    2: "bad number format: a value is missing or not a number",
    3: "invalid statement: unknown '$' system command",
    4: "negative value where a positive one is expected",
    5: "homing is not enabled ($22=0)",
    6: "step pulse time must be at least 3 microseconds",
    7: "EEPROM read failed; settings restored to defaults",
    8: "'$' command only allowed when idle",
    9: "G-code locked out during alarm or jog (unlock with $X or home with $H)",
    10: "soft limits need homing enabled",
    11: "line too long (more than 80 characters); not executed",
    12: "setting would exceed the maximum step rate",
    13: "safety door opened",
    14: "startup line too long for EEPROM; not stored",
    15: "jog target exceeds machine travel; ignored",
    16: "invalid jog command",
    17: "laser mode requires PWM output",
    20: "unsupported or invalid G-code command",
    21: "more than one command from the same modal group",
    22: "feed rate undefined",
    23: "command requires an integer value",
    24: "more than one command needing axis words",
    25: "repeated G-code word",
    26: "no axis words for a command that needs them",
    27: "invalid line number",
    28: "command is missing a required value",
    29: "G59.x work coordinate systems are not supported",
    30: "G53 only allowed with G0 and G1",
    31: "axis words where no command uses them",
    32: "arc needs at least one in-plane axis word",
    33: "motion target is invalid",
    34: "arc radius is invalid",
    35: "arc needs at least one in-plane offset word",
    36: "unused value words in block",
    37: "G43.1 offset not on the tool length axis",
    38: "tool number too large",
}

GRBL_ALARMS: dict[int, str] = {
    1: "hard limit triggered; position is likely lost, re-home",
    2: "soft limit: the target lies outside the machine's travel",
    3: "reset while in motion; position is likely lost, re-home",
    4: "probe fail: probe not in the expected initial state",
    5: "probe fail: no contact within the programmed travel",
    6: "homing fail: the homing cycle was reset",
    7: "homing fail: safety door opened during homing",
    8: "homing fail: pull-off did not clear the limit switch",
    9: "homing fail: no limit switch found within the search distance",
}


def error_meaning(code: int) -> str:
    return GRBL_ERRORS.get(code, "unknown error code")


def alarm_meaning(code: int) -> str:
    return GRBL_ALARMS.get(code, "unknown alarm code")
