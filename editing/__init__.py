"""What changes a code or a photo: attribute vectors, the stroke solver, carry-back, export and recipes,
and the `latent-edit` command. No Qt."""
