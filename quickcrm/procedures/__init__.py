"""The procedures area (seed 002): projects of suspects worked through a procedure of
steps, with a per-role authorization matrix, prospect statuses and appointments."""
