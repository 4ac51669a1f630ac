"""Local HTTP servers that speak the providers' wire formats and record what they got."""
