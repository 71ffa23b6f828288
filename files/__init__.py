"""Files, versions, shares and permission-checked downloads (filled by the files issue)."""
