// Admins: the kill switch. Ends every running session of one Identity Center user and
// closes every request of theirs that has not started, with one comment.

import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import Alert from '@cloudscape-design/components/alert';
import Autosuggest from '@cloudscape-design/components/autosuggest';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Modal from '@cloudscape-design/components/modal';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import Textarea from '@cloudscape-design/components/textarea';
import type { RevokeAll } from '../../api/types';
import { useApp, useFlash } from '../../context';
import { AppLink, EmptyState, Field, LoadError } from '../../components/common';
import { FormPage } from '../../components/FormPage';
import { MAX_COMMENT_CHARS } from '../../lib/comment';
import { splitError, type FieldErrors } from '../../lib/errors';
import { useAsync } from '../../lib/hooks';
import {
  checkRevokeAll,
  resolveUser,
  resultRows,
  summary,
  targetName,
  userSuggestions,
  type Outcome,
  type Target,
} from './revokeAll';

const OUTCOMES: Record<Outcome, { type: 'warning' | 'stopped' | 'error'; label: string }> = {
  revoked: { type: 'warning', label: 'Revoked' },
  cancelled: { type: 'stopped', label: 'Cancelled' },
  failed: { type: 'error', label: 'Still open' },
};

export function RevokeAllPage() {
  const { api, me } = useApp();
  const flash = useFlash();
  const [params] = useSearchParams();
  const users = useAsync(() => api.users(), 'directory-users');
  const [userText, setUserText] = useState(() => params.get('user') ?? '');
  const [comment, setComment] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<Target | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ target: Target; answer: RevokeAll } | null>(null);

  const directory = useMemo(() => users.data ?? [], [users.data]);
  const options = useMemo(() => userSuggestions(directory), [directory]);
  const resolved = resolveUser(userText, directory);

  const check = () => {
    const errs: FieldErrors = {};
    const target = checkRevokeAll(userText, comment, directory, errs);
    setErrors(errs);
    setGeneral(null);
    if (target) setConfirming(target);
  };

  const run = async (target: Target) => {
    setBusy(true);
    try {
      const answer = await api.revokeAll(target.userId, comment);
      setResult({ target, answer });
      setComment('');
      flash.push({
        type: answer.failed.length ? 'warning' : 'success',
        header: `Access of ${targetName(target)} revoked`,
        content: summary(answer),
        testId: 'revoke-all-done',
      });
    } catch (err) {
      const split = splitError(err, ['comment']);
      setErrors(split.fieldErrors);
      setGeneral(split.general);
    } finally {
      setBusy(false);
      setConfirming(null);
    }
  };

  return (
    <SpaceBetween size="l">
      <FormPage
        header={
          <Header
            variant="h1"
            description="The kill switch for an incident: ends every running session of one user now and closes every request of theirs that has not started."
          >
            Revoke all access of a user
          </Header>
        }
        testId="revoke-all-form"
        onSubmit={check}
        errorText={general}
        submitLabel="Revoke all access"
        submitTestId="revoke-all-submit"
        busy={busy}
      >
        <LoadError error={users.error} what="the users of the directory" />
        <Container header={<Header variant="h2">User and reason</Header>}>
          <SpaceBetween size="l">
            <FormField
              label="User"
              description="User name, e-mail or Identity Center user id. A user already deleted from the directory can be given by id."
              errorText={errors.user}
            >
              <Autosuggest
                value={userText}
                onChange={(e) => setUserText(e.detail.value)}
                options={options}
                filteringType="auto"
                virtualScroll={options.length > 200}
                enteredTextLabel={(v) => `Use "${v}"`}
                placeholder="alice"
                empty="No users"
                statusType={users.loading && !users.data ? 'loading' : 'finished'}
                loadingText="Loading users"
                data-testid="revoke-all-user"
              />
            </FormField>
            {resolved ? (
              <Box variant="small" data-testid="revoke-all-target">
                {resolved.user ? (
                  <>
                    {resolved.user.username} · {resolved.user.displayName}
                    {resolved.user.email ? ` · ${resolved.user.email}` : ''} · user id {resolved.user.id}
                    {resolved.user.id === me.user.id ? ' (you)' : ''}
                  </>
                ) : (
                  <>Not in the directory: "{resolved.userId}" is used as the user id.</>
                )}
              </Box>
            ) : null}
            <FormField
              label="Comment"
              description="Required. Recorded on every request closed, and sent to the requester and approvers."
              constraintText={`Up to ${MAX_COMMENT_CHARS} characters.`}
              errorText={errors.comment}
            >
              <Textarea
                value={comment}
                onChange={(e) => setComment(e.detail.value)}
                placeholder="Why: e.g. the incident or ticket"
                invalid={errors.comment !== undefined}
                data-testid="revoke-all-comment"
              />
            </FormField>
          </SpaceBetween>
        </Container>
      </FormPage>
      {result ? <Result target={result.target} answer={result.answer} /> : null}
      {confirming ? (
        <Modal
          visible
          onDismiss={() => {
            if (!busy) setConfirming(null);
          }}
          header={`Revoke all access of ${targetName(confirming)}?`}
          data-testid="revoke-all-modal"
          footer={
            <Box float="right">
              <SpaceBetween direction="horizontal" size="xs">
                <Button variant="link" onClick={() => setConfirming(null)} disabled={busy}>
                  Close
                </Button>
                <Button
                  variant="primary"
                  loading={busy}
                  onClick={() => void run(confirming)}
                  data-testid="revoke-all-confirm"
                >
                  Revoke all access
                </Button>
              </SpaceBetween>
            </Box>
          }
        >
          <SpaceBetween size="m">
            <Alert type="warning" header="This cannot be undone">
              Every running session of {targetName(confirming)} ends now and its access is removed. Every request of
              theirs that has not started is closed: requests waiting for approval are cancelled, approved and
              scheduled ones are revoked and never start. To get access again, {targetName(confirming)} has to submit
              new requests.
            </Alert>
            <Box variant="p">
              Each request records your comment, and its requester and approvers are told:
            </Box>
            <Box variant="p">
              <span style={{ whiteSpace: 'pre-wrap' }}>“{comment.trim()}”</span>
            </Box>
          </SpaceBetween>
        </Modal>
      ) : null}
    </SpaceBetween>
  );
}

function Result({ target, answer }: { target: Target; answer: RevokeAll }) {
  const rows = resultRows(answer);
  return (
    <SpaceBetween size="l">
      <Container
        header={
          <Header
            variant="h2"
            description="Access of revoked running sessions is removed by the revoke workflow; each request's page shows when it is gone."
          >
            Result for {targetName(target)}
          </Header>
        }
        data-testid="revoke-all-result"
      >
        <SpaceBetween size="m">
          <Box>{summary(answer)}</Box>
          <ColumnLayout columns={4} variant="text-grid">
            <Field label="User id">{answer.userId}</Field>
            <Field label="Revoked" testId="revoke-all-revoked">
              {answer.revoked.length}
            </Field>
            <Field label="Cancelled" testId="revoke-all-cancelled">
              {answer.cancelled.length}
            </Field>
            <Field label="Could not be closed" testId="revoke-all-failed">
              {answer.failed.length}
            </Field>
          </ColumnLayout>
        </SpaceBetween>
      </Container>
      <Table
        header={<Header variant="h2" counter={`(${rows.length})`}>Requests</Header>}
        items={rows}
        trackBy="requestId"
        wrapLines
        columnDefinitions={[
          {
            id: 'request',
            header: 'Request',
            isRowHeader: true,
            cell: (row) => (
              <AppLink to={`/requests/${encodeURIComponent(row.requestId)}`} testId={`revoke-all-open-${row.requestId}`}>
                {row.requestId}
              </AppLink>
            ),
          },
          {
            id: 'outcome',
            header: 'Outcome',
            cell: (row) => (
              <span data-testid={`revoke-all-outcome-${row.requestId}`} data-outcome={row.outcome}>
                <StatusIndicator type={OUTCOMES[row.outcome].type}>{OUTCOMES[row.outcome].label}</StatusIndicator>
              </span>
            ),
          },
          { id: 'error', header: 'Why it is still open', cell: (row) => row.error ?? '-' },
        ]}
        empty={<EmptyState title="No open requests" />}
        data-testid="revoke-all-requests"
      />
    </SpaceBetween>
  );
}
