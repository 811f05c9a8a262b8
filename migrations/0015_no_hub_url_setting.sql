-- The hub's address lives with the hub link (`sync_state`, set by connecting the
-- workstation); the old "Hub address" setting configured nothing and is gone.
DELETE FROM workstation_settings WHERE key = 'hub_url';
