"""The Compose entries of the plan: each service, network and named volume as compose.yaml has them."""
