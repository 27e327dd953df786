"""The catalog held against a live Docker host (docker SDK): `gen doctor` and `gen drift`.
The only package that talks to an engine."""
