"""The reader as judge: verdicts on the engine's suggested links, and the page to give them.

judge     recording a verdict (a claim or a whole family), the claims' ledgers, the export
app       the local review page (Starlette): the queue, a page per claim, CSRF on every POST
commands  `kapwatch review`, `kapwatch verdict`, `kapwatch claims`
"""
