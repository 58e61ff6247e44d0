"""A local DigitalOcean API v2 simulator for the Droplet and Droplet-action endpoints.

Start it with ``python3 -m simulator --port 8080`` from the collection root; see docs/simulator.md.
Standard library only.
"""
