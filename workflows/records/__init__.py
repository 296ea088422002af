"""The round's records beyond its process data: uploaded attachments, exports (CSV, XLSX), the overview's
figures and the overdue tasks. Generic: the programme adds its tables and figures through `wiring`."""
