"""Tests of the command line (cli/): each command group as an operator runs it."""
