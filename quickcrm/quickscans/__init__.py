"""The respondent core, below both flows that fill in a QuickScan (the invited client's
pages in ``quickcrm.web``, the landing visitor's in ``quickcrm.landing``): the QuickScan
definition, answer validation and storage, the shared page steps, and the e-mail and
document rendering of a filled QuickScan. It imports no area above it."""
