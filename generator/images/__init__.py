"""The images the catalog pins: listing them, and asking their registries for newer releases."""
