// What the admin policy pages (eligibility, approver) share: the list page (table with
// create, refresh, edit links and delete with confirmation) and the edit form's loading,
// saving, header and buttons. Each page brings its own columns and fields.

import { useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Header from '@cloudscape-design/components/header';
import Modal from '@cloudscape-design/components/modal';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import type { ReactNode } from 'react';
import type { TeamApi } from '../api/team';
import { errorMessage } from '../api/client';
import { useApp, useFlash } from '../context';
import type { FieldErrors } from '../lib/errors';
import { useForm, type FormState } from '../lib/form';
import { useAsync, type AsyncState } from '../lib/hooks';
import { formatDateTime } from '../lib/time';
import { AppLink, EmptyState, LoadError } from './common';
import { FormPage } from './FormPage';

interface Policy {
  id: string;
  name: string;
  updatedAt: string;
}

/** One kind of policy: its words, where its pages are, and its API routes. */
export interface PolicyKind<P extends Policy, I> {
  /**
   * "eligibility" or "approver": the texts ("Eligibility policies", "Create eligibility
   * policy", …), the cache keys and the test ids derive from it: `{noun}-policies` (the
   * table), `create-{noun}`, `edit-{noun}-{id}`, `delete-{noun}-{id}`, `{noun}-form`.
   */
  noun: string;
  /** The list; the form is at `{path}/new` and `{path}/{id}`. */
  path: string;
  list: (api: TeamApi) => Promise<P[]>;
  get: (api: TeamApi, id: string) => Promise<P>;
  /** Creates (no id) or replaces. */
  save: (api: TeamApi, id: string | undefined, input: I) => Promise<P>;
  remove: (api: TeamApi, id: string) => Promise<void>;
}

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** "a, b, c and 4 more" for table cells. */
export function list(names: string[], shown = 3): string {
  if (names.length === 0) return '-';
  if (names.length <= shown) return names.join(', ');
  return `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}

/**
 * The list page of one kind of policy: `columns` stand between the name (a link to the
 * form) and the update time and delete button.
 */
export function PolicyList<P extends Policy, I>({
  kind,
  description,
  columns,
  empty,
}: {
  kind: PolicyKind<P, I>;
  description: string;
  columns: TableProps.ColumnDefinition<P>[];
  /** What an empty list means. */
  empty: string;
}) {
  const { api } = useApp();
  const navigate = useNavigate();
  const { noun, path } = kind;
  const policies = useAsync(() => kind.list(api), `${noun}-policies`);
  const [deleting, setDeleting] = useState<P | null>(null);
  const items = policies.data ?? [];
  return (
    <SpaceBetween size="m">
      <LoadError error={policies.error} what={`${noun} policies`} />
      <Table
        data-testid={`${noun}-policies`}
        items={items}
        loading={policies.loading && !policies.data}
        loadingText="Loading policies"
        trackBy="id"
        variant="full-page"
        wrapLines
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={`(${items.length})`}
            description={description}
            actions={
              <SpaceBetween direction="horizontal" size="xs">
                <Button iconName="refresh" ariaLabel="Refresh" onClick={policies.reload} />
                <Button variant="primary" onClick={() => navigate(`${path}/new`)} data-testid={`create-${noun}`}>
                  Create policy
                </Button>
              </SpaceBetween>
            }
          >
            {capitalized(noun)} policies
          </Header>
        }
        columnDefinitions={[
          {
            id: 'name',
            header: 'Name',
            isRowHeader: true,
            cell: (p) => (
              <AppLink to={`${path}/${encodeURIComponent(p.id)}`} testId={`edit-${noun}-${p.id}`}>
                {p.name}
              </AppLink>
            ),
          },
          ...columns,
          { id: 'updated', header: 'Updated', cell: (p) => formatDateTime(p.updatedAt) },
          {
            id: 'actions',
            header: 'Actions',
            cell: (p) => (
              <Button variant="inline-link" onClick={() => setDeleting(p)} data-testid={`delete-${noun}-${p.id}`}>
                Delete
              </Button>
            ),
          },
        ]}
        empty={<EmptyState title={`No ${noun} policies`}>{empty}</EmptyState>}
      />
      <DeleteModal
        what={`${noun} policy`}
        name={deleting?.name}
        onClose={() => setDeleting(null)}
        onDelete={async () => {
          if (!deleting) return;
          await kind.remove(api, deleting.id);
          setDeleting(null);
          policies.reload();
        }}
      />
    </SpaceBetween>
  );
}

function DeleteModal({
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

/** How a policy form's fields `F` come from a policy `P` and become its input `I`. */
export interface PolicyFields<P, I, F> {
  /** A new policy's fields. */
  empty: F;
  toForm: (policy: P) => F;
  /** The input to send; fills `errors` with what is wrong (then nothing is sent). */
  toInput: (form: F, errors: FieldErrors) => I | undefined;
  /** Server field names shown beside their inputs. */
  fields: readonly string[];
}

export interface PolicyEditor<P, F> extends FormState<F> {
  /** The policy id in the URL, or "new". */
  id: string;
  isNew: boolean;
  /** The policy being edited (null for a new one). */
  existing: AsyncState<P | null>;
  /** Checks and saves, then returns to the list with a flash message. */
  save: () => Promise<void>;
}

/** The state of the form at `{kind.path}/{id}` (or `/new`). */
export function usePolicyForm<P extends Policy, I, F>(kind: PolicyKind<P, I>, spec: PolicyFields<P, I, F>): PolicyEditor<P, F> {
  const { id = 'new' } = useParams();
  const isNew = id === 'new';
  const { api } = useApp();
  const flash = useFlash();
  const navigate = useNavigate();
  const existing = useAsync(async () => (isNew ? null : kind.get(api, id)), `${kind.noun}-policy:${id}`);
  const state = useForm(spec.fields, isNew ? spec.empty : null, existing.data, spec.toForm);
  const save = () =>
    state.submit((form, errors) => {
      const input = spec.toInput(form, errors);
      if (input === undefined) return undefined;
      return async () => {
        const saved = await kind.save(api, isNew ? undefined : id, input);
        flash.push({
          type: 'success',
          keep: 1,
          content: `${capitalized(kind.noun)} policy "${saved.name}" saved.`,
          testId: 'policy-saved',
        });
        navigate(kind.path);
      };
    });
  return { ...state, id, isNew, existing, save };
}

/** The frame of a policy form: header, <form>, general error, Cancel and Save. */
export function PolicyFormPage<P extends Policy, I, F>({
  kind,
  editor,
  children,
}: {
  kind: PolicyKind<P, I>;
  editor: PolicyEditor<P, F>;
  children: ReactNode;
}) {
  const navigate = useNavigate();
  const { noun } = kind;
  const { id, isNew } = editor;
  return (
    <FormPage
      header={
        <Header variant="h1" description={isNew ? undefined : `Policy ${id}`}>
          {isNew ? `Create ${noun} policy` : `Edit ${noun} policy: ${editor.existing.data?.name ?? ''}`}
        </Header>
      }
      testId={`${noun}-form`}
      onSubmit={() => void editor.save()}
      errorText={editor.general}
      submitLabel="Save"
      submitTestId="save-policy"
      busy={editor.busy}
      secondary={{ label: 'Cancel', onClick: () => navigate(kind.path) }}
    >
      {children}
    </FormPage>
  );
}
