DROP TABLE webhooks;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_cursors;
DROP TABLE webhook_events;
DELETE FROM meta WHERE name = 'webhook_event';
