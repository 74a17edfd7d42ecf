/** GraphQL multipart request (file upload) as graphql-yoga accepts it. */
export async function uploadFile(url: string, query: string, variables: Record<string, unknown>, file: { name: string; content: string | Uint8Array; variable?: string }) {
  const form = new FormData();
  const variable = file.variable ?? 'file';
  form.append('operations', JSON.stringify({ query, variables: { ...variables, [variable]: null } }));
  form.append('map', JSON.stringify({ 0: [`variables.${variable}`] }));
  form.append('0', new Blob([file.content as BlobPart]), file.name);
  const res = await fetch(`${url}/graphql`, { method: 'POST', body: form });
  return (await res.json()) as { data?: any; errors?: any[] };
}
