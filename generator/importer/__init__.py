"""`gen import`: bring entries from other formats into the catalog, with a report."""
