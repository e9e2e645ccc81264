"""Unit conversion. Each module (length, mass, temperature, duration, datasize) has
UNITS, the unit names it knows, and convert(value, src, dst), which raises ValueError
for a unit it does not know."""
