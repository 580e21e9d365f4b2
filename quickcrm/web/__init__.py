"""The respondent web app: the client's QuickScan page and the relationship manager's
read-only preview (``create_app`` in ``quickcrm.web.app``)."""
