"""The person CRM: users, teams, relations and persons (seed 001 grows here)."""
