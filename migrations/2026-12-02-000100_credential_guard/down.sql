DROP TABLE credential_throttle;
