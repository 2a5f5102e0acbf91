"""The command line: parse argv, call one :mod:`alabctl.api` function, render, return an exit code.

Exit codes: 0 success, 1 invalid input or a failure the user can fix, 2 usage error, 3 internal
error (with a crash log), 130 interrupted.
"""
