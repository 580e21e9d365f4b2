"""QuickCRM: a command-line CRM toolkit for Dutch accountancy and advisory firms.

The library is the product; ``quickcrm.cli`` is a thin layer over the services in the
feature packages (``crm``, ``campaigns``, ``mail``, ...).
"""

__version__ = "0.1.0"
