"""The command-line tool, against real servers."""
