// Bits shared by the admin pages.

import { useState } from 'react';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Modal from '@cloudscape-design/components/modal';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { errorMessage } from '../../api/client';

/** "a, b, c and 4 more" for table cells. */
export function list(names: string[], shown = 3): string {
  if (names.length === 0) return '-';
  if (names.length <= shown) return names.join(', ');
  return `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}

export function DeleteModal({
  what,
  name,
  onClose,
  onDelete,
}: {
  what: string;
  name: string | undefined;
  onClose: () => void;
  onDelete: () => Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const close = () => {
    if (busy) return;
    setError(null);
    onClose();
  };
  return (
    <Modal
      visible={name !== undefined}
      onDismiss={close}
      header={`Delete ${what}`}
      data-testid="delete-modal"
      footer={
        <Box float="right">
          <SpaceBetween direction="horizontal" size="xs">
            <Button variant="link" onClick={close} disabled={busy}>
              Cancel
            </Button>
            <Button
              variant="primary"
              loading={busy}
              data-testid="confirm-delete"
              onClick={() => {
                setBusy(true);
                setError(null);
                onDelete()
                  .catch((err: unknown) => setError(errorMessage(err)))
                  .finally(() => setBusy(false));
              }}
            >
              Delete
            </Button>
          </SpaceBetween>
        </Box>
      }
    >
      <SpaceBetween size="m">
        <Box>
          Delete the {what} <b>{name}</b>? This cannot be undone. Requests already made keep their approvers.
        </Box>
        {error ? <Alert type="error">{error}</Alert> : null}
      </SpaceBetween>
    </Modal>
  );
}
