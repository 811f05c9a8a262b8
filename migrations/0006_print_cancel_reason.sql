-- Why a print job was taken off the queue, shown with the job (the audit trail keeps it too).
ALTER TABLE print_jobs ADD COLUMN cancel_reason TEXT;
