"""Transitional: kapwatch.flow, edited on another branch, still imports from here. The store's
names live in kapwatch.store; delete this file once flow.py imports them from there."""

from kapwatch.store import Store, Window, WindowStudies

__all__ = ["Store", "Window", "WindowStudies"]
