"""`python -m kapwatch.cli`."""

from kapwatch.cli import main

main()
