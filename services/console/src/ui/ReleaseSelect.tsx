import type { Release } from '../api/types';
import { releaseOptionText } from '../pages/release-list';
import { useLoaded, useSession } from '../session';
import { ErrorNotice, Field } from './components';

/** The newest installable releases offered in a select (the API's largest page). */
const OFFERED = 200;

/** The releases a new job may install (not withdrawn), newest first. */
export function useInstallableReleases() {
  const { api } = useSession();
  return useLoaded(() => api.listReleases({ withdrawn: false, limit: OFFERED }), [api]);
}

/** A labelled choice of an installable release; its id is the value. */
export function ReleaseSelect({
  id,
  releases,
  value,
  onChange,
  error,
}: {
  id: string;
  releases: ReturnType<typeof useInstallableReleases>;
  value: string;
  onChange: (releaseId: string) => void;
  error?: string;
}) {
  const items: Release[] = releases.value?.items ?? [];
  return (
    <>
      <Field id={id} label="Release" error={error}>
        {(props) => (
          <select {...props} value={value} onChange={(e) => onChange(e.target.value)}>
            <option value="">
              {!releases.value
                ? 'loading the catalogue…'
                : items.length === 0
                  ? 'no installable release'
                  : 'choose a release'}
            </option>
            {items.map((release) => (
              <option key={release.releaseId} value={release.releaseId}>
                {releaseOptionText(release)}
              </option>
            ))}
          </select>
        )}
      </Field>
      {releases.value?.nextCursor && (
        <p className="hint">The {OFFERED} newest installable releases are offered.</p>
      )}
      <ErrorNotice error={releases.error} />
    </>
  );
}
