"""Pure domain core of casework: no I/O, no clock, no Temporal, no database.

Everything here is deterministic and safe to import inside the Temporal workflow sandbox.
"""
