// Approve, reject, cancel, end early and revoke (and an admin's cancel and revoke): one
// modal, opened from any page.

import { useState, type ReactNode } from 'react';
import Modal from '@cloudscape-design/components/modal';
import Box from '@cloudscape-design/components/box';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Button from '@cloudscape-design/components/button';
import FormField from '@cloudscape-design/components/form-field';
import Textarea from '@cloudscape-design/components/textarea';
import Alert from '@cloudscape-design/components/alert';
import type { AccessRequest } from '../api/types';
import { useApp, useFlash } from '../context';
import { MAX_COMMENT_CHARS, commentProblem } from '../lib/comment';
import { splitError } from '../lib/errors';
import { startsOnGrant } from '../lib/status';
import { formatDateTime, formatMinutes } from '../lib/time';

export type ActionKind = 'approve' | 'reject' | 'cancel' | 'end' | 'revoke' | 'admin-cancel' | 'admin-revoke';

interface Spec {
  title: string;
  confirm: string;
  done: string;
  /** Whether a comment box is shown. */
  comment: boolean;
  /** Whether the settings' "comment required" applies. */
  settingsRequireComment: boolean;
  /** Whether a comment is always required (a TEAM admin closing someone's request). */
  alwaysRequireComment?: boolean;
  danger: boolean;
  text: string;
}

const SPECS: Record<ActionKind, Spec> = {
  approve: {
    title: 'Approve request',
    confirm: 'Approve',
    done: 'Request approved',
    comment: true,
    settingsRequireComment: true,
    danger: false,
    text: 'The requester gets access at the start time.',
  },
  reject: {
    title: 'Reject request',
    confirm: 'Reject',
    done: 'Request rejected',
    comment: true,
    settingsRequireComment: true,
    danger: true,
    text: 'The requester does not get access.',
  },
  cancel: {
    title: 'Cancel request',
    confirm: 'Cancel request',
    done: 'Request cancelled',
    comment: false,
    settingsRequireComment: false,
    danger: true,
    text: 'The request is withdrawn; approvers are told.',
  },
  end: {
    title: 'End session early',
    confirm: 'End session',
    done: 'Session ended',
    comment: true,
    settingsRequireComment: false,
    danger: true,
    text: 'Access is removed now, before the end time.',
  },
  revoke: {
    title: 'Revoke access',
    confirm: 'Revoke',
    done: 'Access revoked',
    comment: true,
    settingsRequireComment: true,
    danger: true,
    text: "The requester's access is removed now.",
  },
  'admin-cancel': {
    title: 'Cancel request (admin)',
    confirm: 'Cancel request',
    done: 'Request cancelled',
    comment: true,
    settingsRequireComment: false,
    alwaysRequireComment: true,
    danger: true,
    text: 'As a TEAM admin you cancel this request before access starts: the requester never gets this access. The requester and approvers are told, with your comment.',
  },
  'admin-revoke': {
    title: 'Revoke access (admin)',
    confirm: 'Revoke',
    done: 'Access revoked',
    comment: true,
    settingsRequireComment: false,
    alwaysRequireComment: true,
    danger: true,
    text: "As a TEAM admin you revoke this request: a running session ends and the requester's access is removed now; a session that has not started never starts. The requester and approvers are told, with your comment.",
  },
};

interface Open {
  kind: ActionKind;
  request: AccessRequest;
}

/** Returns an opener and the modal to render; `onDone` gets the updated request. */
export function useRequestActions(onDone: (updated: AccessRequest) => void): {
  open: (kind: ActionKind, request: AccessRequest) => void;
  modal: ReactNode;
} {
  const { api, settings } = useApp();
  const flash = useFlash();
  const [current, setCurrent] = useState<Open | null>(null);
  const [comment, setComment] = useState('');
  const [commentError, setCommentError] = useState<string | null>(null);
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const open = (kind: ActionKind, request: AccessRequest) => {
    setCurrent({ kind, request });
    setComment('');
    setCommentError(null);
    setGeneral(null);
  };
  const close = () => {
    if (!busy) setCurrent(null);
  };

  let modal: ReactNode = null;
  if (current) {
    const spec = SPECS[current.kind];
    const r = current.request;
    const always = spec.alwaysRequireComment === true;
    // Known only to those who may read the settings (admins); the server decides anyway.
    const required =
      always || (spec.settingsRequireComment && settings?.commentRequired === true) || commentError !== null;
    // An admin's comment is checked here: the button waits for one; too long shows at once.
    const problem = always ? commentProblem(comment, true) : null;
    const shownCommentError = commentError ?? (comment.trim() ? problem : null);
    const run = async () => {
      setBusy(true);
      setCommentError(null);
      setGeneral(null);
      try {
        let updated: AccessRequest;
        switch (current.kind) {
          case 'approve':
            updated = await api.approve(r.id, comment);
            break;
          case 'reject':
            updated = await api.reject(r.id, comment);
            break;
          case 'cancel':
            updated = await api.cancel(r.id);
            break;
          case 'admin-cancel':
            updated = await api.cancel(r.id, comment);
            break;
          case 'end':
          case 'revoke':
          case 'admin-revoke':
            updated = await api.revoke(r.id, comment);
            break;
        }
        setCurrent(null);
        flash.push({
          type: 'success',
          content: `${spec.done}: ${r.permissionSet.name} on ${r.account.name || r.account.id} for ${r.requester.username} (now ${updated.status}).`,
          testId: 'action-done',
        });
        onDone(updated);
      } catch (err) {
        const { fieldErrors, general: other } = splitError(err, spec.comment ? ['comment'] : []);
        setCommentError(fieldErrors.comment ?? null);
        setGeneral(other);
      } finally {
        setBusy(false);
      }
    };
    modal = (
      <Modal
        visible
        onDismiss={close}
        header={spec.title}
        data-testid="action-modal"
        footer={
          <Box float="right">
            <SpaceBetween direction="horizontal" size="xs">
              <Button variant="link" onClick={close} disabled={busy} data-testid="action-dismiss">
                Close
              </Button>
              <Button
                variant="primary"
                loading={busy}
                disabled={problem !== null}
                onClick={() => void run()}
                data-testid="action-confirm"
              >
                {spec.confirm}
              </Button>
            </SpaceBetween>
          </Box>
        }
      >
        <SpaceBetween size="m">
          <Box>
            <Box variant="strong">
              {r.permissionSet.name} on {r.account.name || r.account.id} ({r.account.id})
            </Box>
            <Box variant="small" display="block">
              Requested by {r.requester.username},{' '}
              {startsOnGrant(r)
                ? `${formatMinutes(r.durationMinutes)} from when access is granted`
                : `${formatDateTime(r.startTime)} for ${formatMinutes(r.durationMinutes)}`}
            </Box>
            <Box variant="p">{spec.text}</Box>
          </Box>
          {general ? (
            <Alert type="error" data-testid="action-error">
              {general}
            </Alert>
          ) : null}
          {spec.comment ? (
            <FormField
              label={required ? 'Comment' : 'Comment - optional'}
              description={
                always
                  ? 'Required: it is recorded on the request and sent to the requester and approvers.'
                  : required
                    ? 'The TEAM settings require a comment.'
                    : spec.settingsRequireComment && settings === null
                      ? 'The TEAM settings may require a comment.'
                      : undefined
              }
              errorText={shownCommentError}
              constraintText={`Up to ${MAX_COMMENT_CHARS} characters.`}
              data-testid="comment-field"
            >
              <Textarea
                value={comment}
                onChange={(e) => setComment(e.detail.value)}
                placeholder="Why"
                data-testid="comment-input"
                invalid={shownCommentError !== null}
              />
            </FormField>
          ) : null}
        </SpaceBetween>
      </Modal>
    );
  }
  return { open, modal };
}
