"""The `acestep` engine: ACE-Step 1.5 through diffusers (the [acestep] extra), imported only when it runs."""
