"""Where studies come from: the Source protocol and SourceReport (base.py), the sources a run
reads (registry.py: how to add one), PubMed (pubmed.py over the eutils.py client and the
pubmed_xml.py parser), journal feeds (feeds.py), and the one retry helper (retry.py)."""
