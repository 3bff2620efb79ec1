-- Databases besides the tracker store's (POSTGRES_DB=rasa), created on the
-- first start of the PostgreSQL container (deploy/docker-compose.yml).
CREATE DATABASE clinic OWNER clinic;     -- bookings (CLINIC_DB_URL)
CREATE DATABASE analytics OWNER clinic;  -- deploy/analytics_consumer.py
