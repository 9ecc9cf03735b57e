// A page that is one form: the page header, the <form> (Enter submits), the Form with its
// error above the buttons, the buttons, and the sections spaced below one another.

import type { ReactNode } from 'react';
import Button from '@cloudscape-design/components/button';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Form from '@cloudscape-design/components/form';
import SpaceBetween from '@cloudscape-design/components/space-between';

export function FormPage({
  header,
  testId,
  onSubmit,
  errorText,
  submitLabel,
  submitTestId,
  busy,
  secondary,
  children,
}: {
  header: ReactNode;
  /** The test id of the <form>. */
  testId: string;
  onSubmit: () => void;
  /** A failure that concerns no one field. */
  errorText?: string | null;
  submitLabel: string;
  submitTestId: string;
  /** Sending: the submit button spins. */
  busy: boolean;
  /** A link button left of the submit button (cancel, clear); it does not submit. */
  secondary?: { label: string; onClick: () => void };
  children: ReactNode;
}) {
  const submit = (
    <Button variant="primary" formAction="submit" loading={busy} data-testid={submitTestId}>
      {submitLabel}
    </Button>
  );
  return (
    <ContentLayout header={header}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onSubmit();
        }}
        data-testid={testId}
      >
        <Form
          errorText={errorText}
          actions={
            secondary ? (
              <SpaceBetween direction="horizontal" size="xs">
                <Button formAction="none" variant="link" onClick={secondary.onClick}>
                  {secondary.label}
                </Button>
                {submit}
              </SpaceBetween>
            ) : (
              submit
            )
          }
        >
          <SpaceBetween size="l">{children}</SpaceBetween>
        </Form>
      </form>
    </ContentLayout>
  );
}
