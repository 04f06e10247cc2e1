"""The ``casework`` command line: :mod:`cli.main` builds the parser, one module per command group."""
